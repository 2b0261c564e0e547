# steady-state inner loop of word_row6 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L833)
# LLVM-MCA-BEGIN word_row6
.L833:
	ldr	d3, [x9, -8]
	mov	x27, x17
	ldr	d0, [x10, -8]
	ldr	d1, [x13, -8]
	mov	x15, x13
	ldr	d2, [x17, -8]
	ldp	q31, q28, [x8]
	mov	x14, x10
	dup	v3.2d, v3.d[0]
	ld1r	{v11.2d}, [x27], 8
	dup	v0.2d, v0.d[0]
	ld1r	{v10.2d}, [x15], 8
	dup	v1.2d, v1.d[0]
	mov	x3, x9
	dup	v2.2d, v2.d[0]
	add	x9, x9, x21
	ldp	q13, q12, [x8, 32]
	eor	v14.16b, v31.16b, v0.16b
	ld1r	{v24.2d}, [x14], 8
	eor	v15.16b, v31.16b, v1.16b
	add	x8, x8, 192
	eor	v16.16b, v31.16b, v2.16b
	add	x10, x10, x21
	eor	v31.16b, v31.16b, v3.16b
	add	x13, x13, x21
	eor	v0.16b, v28.16b, v0.16b
	add	x17, x17, x21
	eor	v1.16b, v28.16b, v1.16b
	eor	v2.16b, v28.16b, v2.16b
	cnt	v31.16b, v31.16b
	ld1r	{v23.2d}, [x3], 8
	ldr	q4, [x8, -128]
	str	q31, [sp, 160]
	eor	v31.16b, v13.16b, v11.16b
	ld1r	{v21.2d}, [x15], 8
	cnt	v0.16b, v0.16b
	cnt	v15.16b, v15.16b
	cnt	v1.16b, v1.16b
	eor	v28.16b, v28.16b, v3.16b
	str	q31, [sp, 176]
	eor	v31.16b, v13.16b, v10.16b
	ld1r	{v22.2d}, [x27], 8
	eor	v10.16b, v12.16b, v10.16b
	ldr	q3, [x8, -112]
	cnt	v16.16b, v16.16b
	str	q31, [sp, 192]
	ld1r	{v8.2d}, [x14], 8
	eor	v31.16b, v13.16b, v24.16b
	eor	v13.16b, v13.16b, v23.16b
	cnt	v10.16b, v10.16b
	cnt	v2.16b, v2.16b
	add	v27.16b, v1.16b, v27.16b
	eor	v24.16b, v12.16b, v24.16b
	stp	q31, q13, [sp, 208]
	ldr	q13, [x8, -96]
	eor	v1.16b, v4.16b, v21.16b
	ld1r	{v19.2d}, [x3], 8
	add	v18.16b, v0.16b, v18.16b
	ld1r	{v7.2d}, [x27], 8
	add	v25.16b, v15.16b, v25.16b
	add	v16.16b, v16.16b, v9.16b
	eor	v15.16b, v3.16b, v21.16b
	ldr	q21, [sp, 192]
	add	v2.16b, v2.16b, v26.16b
	ld1r	{v6.2d}, [x15], 8
	ldr	q26, [sp, 176]
	eor	v11.16b, v12.16b, v11.16b
	ld1r	{v5.2d}, [x14], 8
	eor	v23.16b, v12.16b, v23.16b
	ldr	q12, [x8, -80]
	ld1r	{v17.2d}, [x3], 8
	eor	v31.16b, v4.16b, v22.16b
	ld1r	{v9.2d}, [x27], 8
	eor	v22.16b, v3.16b, v22.16b
	str	q10, [sp, 352]
	ldr	q0, [sp, 160]
	eor	v10.16b, v4.16b, v8.16b
	cnt	v14.16b, v14.16b
	add	v29.16b, v0.16b, v29.16b
	ldr	q0, [sp, 208]
	eor	v8.16b, v3.16b, v8.16b
	eor	v4.16b, v4.16b, v19.16b
	eor	v3.16b, v3.16b, v19.16b
	cnt	v19.16b, v0.16b
	ldr	q0, [sp, 224]
	cnt	v28.16b, v28.16b
	cnt	v15.16b, v15.16b
	str	q19, [sp, 336]
	cnt	v11.16b, v11.16b
	cnt	v26.16b, v26.16b
	cnt	v23.16b, v23.16b
	add	v14.16b, v14.16b, v20.16b
	cnt	v0.16b, v0.16b
	cnt	v20.16b, v24.16b
	ldr	q19, [x8, -64]
	stp	q15, q23, [sp, 272]
	ld1r	{v23.2d}, [x14], 8
	ldr	q24, [x8, -48]
	str	q0, [sp, 304]
	ld1r	{v0.2d}, [x15], 8
	add	v30.16b, v28.16b, v30.16b
	str	q20, [sp, 320]
	ld1r	{v20.2d}, [x3], 8
	eor	v28.16b, v13.16b, v7.16b
	add	v2.16b, v11.16b, v2.16b
	add	v16.16b, v26.16b, v16.16b
	eor	v11.16b, v13.16b, v6.16b
	eor	v26.16b, v13.16b, v5.16b
	eor	v6.16b, v12.16b, v6.16b
	cnt	v31.16b, v31.16b
	cnt	v22.16b, v22.16b
	eor	v7.16b, v12.16b, v7.16b
	eor	v5.16b, v12.16b, v5.16b
	eor	v13.16b, v13.16b, v17.16b
	eor	v12.16b, v12.16b, v17.16b
	mov	v15.16b, v27.16b
	cnt	v17.16b, v10.16b
	cnt	v27.16b, v3.16b
	cnt	v8.16b, v8.16b
	cnt	v4.16b, v4.16b
	mov	v3.16b, v14.16b
	ldr	q14, [x8, -16]
	add	v2.16b, v22.16b, v2.16b
	stp	q27, q4, [sp, 208]
	ldr	q4, [x8, -32]
	stp	q8, q17, [sp, 240]
	ld1r	{v10.2d}, [x27]
	eor	v17.16b, v9.16b, v19.16b
	eor	v22.16b, v0.16b, v19.16b
	add	v16.16b, v31.16b, v16.16b
	eor	v9.16b, v9.16b, v24.16b
	cnt	v31.16b, v6.16b
	eor	v0.16b, v0.16b, v24.16b
	eor	v6.16b, v23.16b, v19.16b
	eor	v23.16b, v23.16b, v24.16b
	eor	v19.16b, v20.16b, v19.16b
	eor	v20.16b, v20.16b, v24.16b
	cnt	v24.16b, v26.16b
	cnt	v26.16b, v12.16b
	ldr	q12, [sp, 352]
	cnt	v7.16b, v7.16b
	cnt	v9.16b, v9.16b
	str	q26, [sp, 160]
	add	v15.16b, v12.16b, v15.16b
	eor	v12.16b, v10.16b, v4.16b
	eor	v10.16b, v10.16b, v14.16b
	cnt	v1.16b, v1.16b
	cnt	v21.16b, v21.16b
	add	v2.16b, v7.16b, v2.16b
	cnt	v10.16b, v10.16b
	cnt	v11.16b, v11.16b
	add	v9.16b, v9.16b, v2.16b
	cnt	v22.16b, v22.16b
	cnt	v5.16b, v5.16b
	cnt	v13.16b, v13.16b
	cnt	v17.16b, v17.16b
	ld1r	{v8.2d}, [x15]
	add	v25.16b, v21.16b, v25.16b
	stp	q13, q5, [sp, 176]
	eor	v7.16b, v8.16b, v4.16b
	add	v25.16b, v1.16b, v25.16b
	eor	v8.16b, v8.16b, v14.16b
	add	v11.16b, v11.16b, v25.16b
	add	v2.16b, v22.16b, v11.16b
	mov	v11.16b, v9.16b
	add	v26.16b, v10.16b, v11.16b
	ldr	q10, [sp, 336]
	ld1r	{v27.2d}, [x14]
	cnt	v12.16b, v12.16b
	ld1r	{v5.2d}, [x3]
	eor	v13.16b, v27.16b, v14.16b
	eor	v1.16b, v27.16b, v4.16b
	add	v11.16b, v10.16b, v3.16b
	ldr	q3, [sp, 320]
	eor	v4.16b, v5.16b, v4.16b
	cnt	v28.16b, v28.16b
	eor	v5.16b, v5.16b, v14.16b
	ldr	q14, [sp, 272]
	cnt	v0.16b, v0.16b
	cnt	v8.16b, v8.16b
	add	v10.16b, v3.16b, v18.16b
	ldr	q3, [sp, 304]
	cnt	v21.16b, v23.16b
	ldr	q23, [sp, 288]
	add	v15.16b, v14.16b, v15.16b
	add	v16.16b, v28.16b, v16.16b
	cnt	v7.16b, v7.16b
	add	v16.16b, v17.16b, v16.16b
	add	v14.16b, v31.16b, v15.16b
	add	v9.16b, v12.16b, v16.16b
	ldp	q12, q17, [sp, 240]
	add	v0.16b, v0.16b, v14.16b
	add	v27.16b, v8.16b, v0.16b
	ldr	q0, [sp, 224]
	add	v25.16b, v7.16b, v2.16b
	add	v29.16b, v3.16b, v29.16b
	add	v11.16b, v17.16b, v11.16b
	add	v2.16b, v0.16b, v29.16b
	add	v24.16b, v24.16b, v11.16b
	ldp	q11, q0, [sp, 192]
	add	v3.16b, v23.16b, v30.16b
	add	v0.16b, v0.16b, v3.16b
	ldr	q3, [sp, 176]
	cnt	v20.16b, v20.16b
	cnt	v13.16b, v13.16b
	add	v2.16b, v3.16b, v2.16b
	ldr	q3, [sp, 160]
	cnt	v6.16b, v6.16b
	cnt	v19.16b, v19.16b
	cnt	v1.16b, v1.16b
	cnt	v4.16b, v4.16b
	cnt	v5.16b, v5.16b
	add	v10.16b, v12.16b, v10.16b
	add	v6.16b, v6.16b, v24.16b
	add	v10.16b, v11.16b, v10.16b
	add	v21.16b, v21.16b, v10.16b
	add	v0.16b, v3.16b, v0.16b
	add	v18.16b, v13.16b, v21.16b
	add	v19.16b, v19.16b, v2.16b
	add	v0.16b, v20.16b, v0.16b
	add	v29.16b, v4.16b, v19.16b
	add	v20.16b, v1.16b, v6.16b
	add	v30.16b, v5.16b, v0.16b
	cmp	x8, x23
	bne	.L833
# LLVM-MCA-END
