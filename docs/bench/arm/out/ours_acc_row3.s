# steady-state inner loop of acc_row3 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L403)
# LLVM-MCA-BEGIN acc_row3
.L403:
	ldr	d10, [x8, -8]
	mov	x3, x8
	ldr	d5, [x6, -8]
	ldp	q4, q2, [x4]
	mov	x1, x6
	dup	v10.2d, v10.d[0]
	ld1r	{v9.2d}, [x3], 8
	ldr	d1, [x5, -8]
	ldr	d6, [x7, -8]
	eor	v20.16b, v10.16b, v4.16b
	ld1r	{v29.2d}, [x3]
	dup	v5.2d, v5.d[0]
	ld1r	{v7.2d}, [x1], 8
	ldp	q0, q30, [x4, 32]
	dup	v1.2d, v1.d[0]
	mov	x2, x7
	dup	v6.2d, v6.d[0]
	mov	x0, x5
	ldp	q22, q25, [x4, 64]
	eor	v21.16b, v5.16b, v4.16b
	ld1r	{v31.2d}, [x2], 8
	cnt	v20.16b, v20.16b
	add	x4, x4, 96
	eor	v11.16b, v9.16b, v0.16b
	add	x5, x5, x11
	eor	v17.16b, v6.16b, v4.16b
	add	x6, x6, x11
	eor	v10.16b, v10.16b, v2.16b
	add	x7, x7, x11
	eor	v6.16b, v6.16b, v2.16b
	add	x8, x8, x11
	eor	v4.16b, v1.16b, v4.16b
	eor	v9.16b, v9.16b, v30.16b
	eor	v1.16b, v1.16b, v2.16b
	add	v20.16b, v20.16b, v18.16b
	cnt	v21.16b, v21.16b
	eor	v18.16b, v29.16b, v22.16b
	eor	v5.16b, v5.16b, v2.16b
	ld1r	{v2.2d}, [x1]
	eor	v12.16b, v7.16b, v0.16b
	cnt	v9.16b, v9.16b
	eor	v7.16b, v7.16b, v30.16b
	cnt	v16.16b, v10.16b
	cnt	v6.16b, v6.16b
	cnt	v1.16b, v1.16b
	eor	v29.16b, v29.16b, v25.16b
	cnt	v11.16b, v11.16b
	add	v21.16b, v21.16b, v23.16b
	cnt	v18.16b, v18.16b
	eor	v23.16b, v2.16b, v22.16b
	eor	v2.16b, v2.16b, v25.16b
	eor	v10.16b, v31.16b, v0.16b
	add	v1.16b, v1.16b, v3.16b
	cnt	v5.16b, v5.16b
	add	v6.16b, v6.16b, v27.16b
	cnt	v4.16b, v4.16b
	cnt	v27.16b, v7.16b
	add	v16.16b, v16.16b, v19.16b
	cnt	v17.16b, v17.16b
	cnt	v29.16b, v29.16b
	add	v16.16b, v9.16b, v16.16b
	cnt	v9.16b, v2.16b
	ld1r	{v2.2d}, [x0], 8
	add	v3.16b, v11.16b, v20.16b
	ld1r	{v26.2d}, [x2]
	add	v18.16b, v18.16b, v3.16b
	ld1r	{v3.2d}, [x0]
	add	v19.16b, v5.16b, v28.16b
	add	v17.16b, v17.16b, v24.16b
	cnt	v10.16b, v10.16b
	eor	v24.16b, v26.16b, v22.16b
	add	v8.16b, v4.16b, v8.16b
	mov	v11.16b, v1.16b
	eor	v0.16b, v2.16b, v0.16b
	eor	v26.16b, v26.16b, v25.16b
	add	v4.16b, v27.16b, v19.16b
	eor	v31.16b, v31.16b, v30.16b
	mov	v1.16b, v16.16b
	add	v19.16b, v29.16b, v1.16b
	eor	v1.16b, v2.16b, v30.16b
	eor	v2.16b, v3.16b, v22.16b
	eor	v3.16b, v3.16b, v25.16b
	cnt	v12.16b, v12.16b
	cnt	v24.16b, v24.16b
	cnt	v31.16b, v31.16b
	cnt	v23.16b, v23.16b
	cnt	v0.16b, v0.16b
	cnt	v1.16b, v1.16b
	cnt	v2.16b, v2.16b
	cnt	v3.16b, v3.16b
	add	v7.16b, v10.16b, v17.16b
	cnt	v10.16b, v26.16b
	add	v0.16b, v0.16b, v8.16b
	add	v5.16b, v12.16b, v21.16b
	add	v6.16b, v31.16b, v6.16b
	add	v1.16b, v1.16b, v11.16b
	add	v24.16b, v24.16b, v7.16b
	add	v27.16b, v10.16b, v6.16b
	add	v23.16b, v23.16b, v5.16b
	add	v28.16b, v9.16b, v4.16b
	add	v8.16b, v2.16b, v0.16b
	add	v3.16b, v3.16b, v1.16b
	cmp	x4, x10
	bne	.L403
# LLVM-MCA-END
