# steady-state inner loop of acc_row6 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L349)
# LLVM-MCA-BEGIN acc_row6
.L349:
	ldr	d4, [x4, -8]
	mov	x10, x7
	ldr	d0, [x5, -8]
	ldr	d1, [x6, -8]
	mov	x2, x6
	ldr	d3, [x7, -8]
	ldp	q31, q30, [x3]
	mov	x11, x5
	dup	v4.2d, v4.d[0]
	ld1r	{v12.2d}, [x10], 8
	dup	v0.2d, v0.d[0]
	ld1r	{v11.2d}, [x2], 8
	dup	v1.2d, v1.d[0]
	mov	x0, x4
	dup	v3.2d, v3.d[0]
	add	x4, x4, x8
	ldp	q15, q14, [x3, 32]
	eor	v16.16b, v31.16b, v0.16b
	ld1r	{v29.2d}, [x11], 8
	eor	v18.16b, v31.16b, v1.16b
	add	x5, x5, x8
	eor	v21.16b, v31.16b, v3.16b
	add	x6, x6, x8
	eor	v31.16b, v31.16b, v4.16b
	add	x7, x7, x8
	eor	v0.16b, v30.16b, v0.16b
	eor	v1.16b, v30.16b, v1.16b
	eor	v3.16b, v30.16b, v3.16b
	cnt	v31.16b, v31.16b
	ld1r	{v28.2d}, [x0], 8
	ldr	q10, [x3, 80]
	str	q31, [sp, 64]
	eor	v31.16b, v15.16b, v12.16b
	ld1r	{v23.2d}, [x2], 8
	cnt	v0.16b, v0.16b
	cnt	v18.16b, v18.16b
	cnt	v1.16b, v1.16b
	eor	v30.16b, v30.16b, v4.16b
	str	q31, [sp, 80]
	eor	v31.16b, v15.16b, v11.16b
	ld1r	{v26.2d}, [x10], 8
	eor	v11.16b, v14.16b, v11.16b
	ldr	q4, [x3, 64]
	cnt	v3.16b, v3.16b
	str	q31, [sp, 96]
	ld1r	{v9.2d}, [x11], 8
	eor	v31.16b, v15.16b, v29.16b
	eor	v15.16b, v15.16b, v28.16b
	cnt	v11.16b, v11.16b
	cnt	v21.16b, v21.16b
	add	v27.16b, v18.16b, v27.16b
	add	v25.16b, v1.16b, v25.16b
	stp	q31, q15, [sp, 112]
	ldr	q15, [x3, 96]
	eor	v18.16b, v10.16b, v23.16b
	ld1r	{v8.2d}, [x0], 8
	eor	v1.16b, v4.16b, v23.16b
	ld1r	{v7.2d}, [x10], 8
	ldr	q23, [sp, 96]
	eor	v29.16b, v14.16b, v29.16b
	ld1r	{v6.2d}, [x2], 8
	add	v20.16b, v0.16b, v20.16b
	add	v21.16b, v21.16b, v17.16b
	add	v2.16b, v3.16b, v2.16b
	ldr	q3, [sp, 80]
	eor	v12.16b, v14.16b, v12.16b
	ld1r	{v5.2d}, [x11], 8
	eor	v28.16b, v14.16b, v28.16b
	ldr	q14, [x3, 112]
	ld1r	{v22.2d}, [x0], 8
	cnt	v12.16b, v12.16b
	ld1r	{v17.2d}, [x10], 8
	eor	v31.16b, v4.16b, v26.16b
	str	q11, [sp, 208]
	ldr	q0, [sp, 64]
	eor	v11.16b, v4.16b, v9.16b
	eor	v26.16b, v10.16b, v26.16b
	add	v13.16b, v0.16b, v13.16b
	ldr	q0, [sp, 112]
	eor	v9.16b, v10.16b, v9.16b
	eor	v4.16b, v8.16b, v4.16b
	cnt	v16.16b, v16.16b
	eor	v8.16b, v8.16b, v10.16b
	cnt	v10.16b, v0.16b
	ldr	q0, [sp, 128]
	cnt	v30.16b, v30.16b
	add	v2.16b, v12.16b, v2.16b
	str	q10, [sp, 192]
	cnt	v12.16b, v18.16b
	cnt	v3.16b, v3.16b
	add	v16.16b, v16.16b, v19.16b
	mov	v18.16b, v27.16b
	cnt	v19.16b, v29.16b
	str	q12, [sp, 64]
	cnt	v27.16b, v9.16b
	cnt	v28.16b, v28.16b
	cnt	v0.16b, v0.16b
	str	q19, [sp, 176]
	ld1r	{v19.2d}, [x0], 8
	ldr	q10, [x3, 128]
	stp	q27, q28, [sp, 96]
	ld1r	{v28.2d}, [x11], 8
	ldr	q29, [x3, 144]
	str	q0, [sp, 160]
	ld1r	{v0.2d}, [x2], 8
	add	v24.16b, v30.16b, v24.16b
	add	v21.16b, v3.16b, v21.16b
	eor	v30.16b, v7.16b, v15.16b
	eor	v3.16b, v6.16b, v15.16b
	cnt	v31.16b, v31.16b
	eor	v6.16b, v6.16b, v14.16b
	cnt	v26.16b, v26.16b
	eor	v7.16b, v7.16b, v14.16b
	cnt	v4.16b, v4.16b
	cnt	v8.16b, v8.16b
	mov	v12.16b, v25.16b
	eor	v25.16b, v5.16b, v15.16b
	eor	v5.16b, v14.16b, v5.16b
	eor	v15.16b, v22.16b, v15.16b
	stp	q4, q8, [sp, 128]
	eor	v14.16b, v14.16b, v22.16b
	cnt	v22.16b, v11.16b
	add	v21.16b, v31.16b, v21.16b
	add	v2.16b, v26.16b, v2.16b
	cnt	v31.16b, v6.16b
	eor	v26.16b, v0.16b, v10.16b
	str	q22, [sp, 80]
	eor	v6.16b, v28.16b, v10.16b
	ld1r	{v9.2d}, [x10]
	eor	v28.16b, v28.16b, v29.16b
	eor	v22.16b, v17.16b, v10.16b
	mov	v11.16b, v16.16b
	ldp	q4, q16, [x3, 160]
	eor	v10.16b, v19.16b, v10.16b
	add	x3, x3, 192
	eor	v0.16b, v0.16b, v29.16b
	eor	v17.16b, v17.16b, v29.16b
	eor	v19.16b, v19.16b, v29.16b
	cnt	v29.16b, v25.16b
	cnt	v25.16b, v5.16b
	cnt	v5.16b, v15.16b
	cnt	v15.16b, v14.16b
	ldr	q14, [sp, 208]
	cnt	v1.16b, v1.16b
	cnt	v23.16b, v23.16b
	stp	q5, q15, [sp, 224]
	cnt	v7.16b, v7.16b
	ld1r	{v8.2d}, [x2]
	add	v12.16b, v14.16b, v12.16b
	ld1r	{v5.2d}, [x0]
	eor	v14.16b, v9.16b, v4.16b
	eor	v9.16b, v9.16b, v16.16b
	cnt	v17.16b, v17.16b
	ld1r	{v27.2d}, [x11]
	cnt	v0.16b, v0.16b
	cnt	v9.16b, v9.16b
	eor	v15.16b, v27.16b, v16.16b
	add	v18.16b, v23.16b, v18.16b
	add	v2.16b, v7.16b, v2.16b
	eor	v7.16b, v8.16b, v4.16b
	add	v18.16b, v1.16b, v18.16b
	eor	v8.16b, v8.16b, v16.16b
	eor	v1.16b, v27.16b, v4.16b
	eor	v4.16b, v5.16b, v4.16b
	eor	v5.16b, v5.16b, v16.16b
	ldr	q16, [sp, 64]
	cnt	v22.16b, v22.16b
	cnt	v23.16b, v10.16b
	add	v2.16b, v17.16b, v2.16b
	cnt	v30.16b, v30.16b
	cnt	v3.16b, v3.16b
	add	v2.16b, v9.16b, v2.16b
	ldr	q9, [sp, 176]
	add	v12.16b, v16.16b, v12.16b
	add	v10.16b, v31.16b, v12.16b
	add	v0.16b, v0.16b, v10.16b
	ldr	q10, [sp, 192]
	cnt	v7.16b, v7.16b
	add	v3.16b, v3.16b, v18.16b
	cnt	v8.16b, v8.16b
	cnt	v18.16b, v28.16b
	ldr	q28, [sp, 112]
	cnt	v26.16b, v26.16b
	add	v12.16b, v10.16b, v11.16b
	add	v11.16b, v9.16b, v20.16b
	ldr	q9, [sp, 160]
	add	v21.16b, v30.16b, v21.16b
	add	v21.16b, v22.16b, v21.16b
	ldr	q22, [sp, 80]
	ldr	q27, [sp, 96]
	add	v3.16b, v26.16b, v3.16b
	add	v11.16b, v27.16b, v11.16b
	add	v27.16b, v7.16b, v3.16b
	ldr	q7, [sp, 224]
	add	v25.16b, v25.16b, v11.16b
	add	v18.16b, v18.16b, v25.16b
	add	v25.16b, v8.16b, v0.16b
	ldp	q0, q8, [sp, 128]
	cnt	v19.16b, v19.16b
	add	v10.16b, v9.16b, v13.16b
	cnt	v6.16b, v6.16b
	cnt	v1.16b, v1.16b
	cnt	v14.16b, v14.16b
	cnt	v15.16b, v15.16b
	cnt	v4.16b, v4.16b
	cnt	v5.16b, v5.16b
	add	v3.16b, v0.16b, v10.16b
	add	v3.16b, v7.16b, v3.16b
	ldr	q7, [sp, 240]
	add	v9.16b, v28.16b, v24.16b
	add	v17.16b, v14.16b, v21.16b
	add	v12.16b, v22.16b, v12.16b
	add	v0.16b, v8.16b, v9.16b
	add	v29.16b, v29.16b, v12.16b
	add	v20.16b, v15.16b, v18.16b
	add	v6.16b, v6.16b, v29.16b
	add	v0.16b, v7.16b, v0.16b
	add	v23.16b, v23.16b, v3.16b
	add	v0.16b, v19.16b, v0.16b
	add	v19.16b, v1.16b, v6.16b
	add	v13.16b, v4.16b, v23.16b
	add	v24.16b, v5.16b, v0.16b
	cmp	x3, x9
	bne	.L349
# LLVM-MCA-END
