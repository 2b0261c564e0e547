# steady-state inner loop of word_row3 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L772)
# LLVM-MCA-BEGIN word_row3
.L772:
	ldr	d6, [x13, -8]
	mov	x26, x19
	ldr	d18, [x19, -8]
	mov	x18, x17
	ldr	d4, [x8, -8]
	mov	x15, x13
	ldr	d17, [x17, -8]
	ldp	q5, q8, [x7]
	dup	v6.2d, v6.d[0]
	ld1r	{v9.2d}, [x26], 8
	dup	v18.2d, v18.d[0]
	ld1r	{v31.2d}, [x18], 8
	dup	v4.2d, v4.d[0]
	mov	x0, x8
	dup	v17.2d, v17.d[0]
	add	x8, x8, x21
	ldp	q12, q10, [x7, 32]
	eor	v21.16b, v6.16b, v5.16b
	ld1r	{v30.2d}, [x15], 8
	eor	v11.16b, v18.16b, v5.16b
	add	x7, x7, 96
	eor	v6.16b, v6.16b, v8.16b
	str	q12, [sp, 160]
	eor	v23.16b, v17.16b, v5.16b
	ld1r	{v29.2d}, [x26]
	eor	v5.16b, v4.16b, v5.16b
	add	x13, x13, x21
	eor	v4.16b, v4.16b, v8.16b
	add	x17, x17, x21
	ldr	q24, [x7, -32]
	eor	v13.16b, v31.16b, v12.16b
	add	x19, x19, x21
	eor	v14.16b, v9.16b, v12.16b
	cnt	v6.16b, v6.16b
	eor	v12.16b, v30.16b, v12.16b
	cnt	v11.16b, v11.16b
	cnt	v4.16b, v4.16b
	add	v0.16b, v6.16b, v0.16b
	cnt	v21.16b, v21.16b
	cnt	v6.16b, v12.16b
	add	v1.16b, v11.16b, v1.16b
	eor	v11.16b, v29.16b, v24.16b
	eor	v9.16b, v9.16b, v10.16b
	eor	v18.16b, v18.16b, v8.16b
	add	v3.16b, v4.16b, v3.16b
	cnt	v11.16b, v11.16b
	cnt	v14.16b, v14.16b
	add	v19.16b, v21.16b, v19.16b
	add	v19.16b, v6.16b, v19.16b
	ldr	q6, [sp, 160]
	cnt	v9.16b, v9.16b
	mov	v4.16b, v3.16b
	ld1r	{v3.2d}, [x0], 8
	cnt	v18.16b, v18.16b
	eor	v17.16b, v17.16b, v8.16b
	ldr	q8, [x7, -16]
	add	v1.16b, v14.16b, v1.16b
	ld1r	{v26.2d}, [x18]
	add	v1.16b, v11.16b, v1.16b
	eor	v11.16b, v3.16b, v6.16b
	eor	v6.16b, v3.16b, v10.16b
	add	v7.16b, v18.16b, v7.16b
	add	v7.16b, v9.16b, v7.16b
	ld1r	{v25.2d}, [x15]
	eor	v31.16b, v31.16b, v10.16b
	ld1r	{v9.2d}, [x0]
	eor	v12.16b, v25.16b, v24.16b
	eor	v30.16b, v30.16b, v10.16b
	cnt	v15.16b, v13.16b
	cnt	v3.16b, v6.16b
	eor	v13.16b, v26.16b, v24.16b
	cnt	v5.16b, v5.16b
	eor	v24.16b, v9.16b, v24.16b
	eor	v29.16b, v29.16b, v8.16b
	eor	v26.16b, v26.16b, v8.16b
	eor	v25.16b, v25.16b, v8.16b
	eor	v9.16b, v9.16b, v8.16b
	cnt	v10.16b, v11.16b
	add	v5.16b, v5.16b, v20.16b
	add	v3.16b, v3.16b, v4.16b
	add	v6.16b, v10.16b, v5.16b
	cnt	v31.16b, v31.16b
	cnt	v23.16b, v23.16b
	cnt	v17.16b, v17.16b
	cnt	v29.16b, v29.16b
	cnt	v30.16b, v30.16b
	cnt	v13.16b, v13.16b
	cnt	v26.16b, v26.16b
	cnt	v12.16b, v12.16b
	cnt	v25.16b, v25.16b
	cnt	v4.16b, v24.16b
	cnt	v5.16b, v9.16b
	add	v22.16b, v23.16b, v22.16b
	add	v16.16b, v17.16b, v16.16b
	add	v0.16b, v30.16b, v0.16b
	add	v22.16b, v15.16b, v22.16b
	add	v16.16b, v31.16b, v16.16b
	add	v7.16b, v29.16b, v7.16b
	add	v16.16b, v26.16b, v16.16b
	add	v22.16b, v13.16b, v22.16b
	add	v19.16b, v12.16b, v19.16b
	add	v0.16b, v25.16b, v0.16b
	add	v20.16b, v4.16b, v6.16b
	add	v3.16b, v5.16b, v3.16b
	cmp	x7, x23
	bne	.L772
# LLVM-MCA-END
