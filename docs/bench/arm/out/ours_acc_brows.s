# steady-state inner loop of acc_brows in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L11)
# LLVM-MCA-BEGIN acc_brows
.L11:
	ld1r	{v23.2d}, [x3], 8
	ldp	q4, q25, [x4]
	ldp	q1, q24, [x4, 32]
	add	x5, x5, 2
	ld1r	{v21.2d}, [x0], 8
	add	x4, x4, 64
	ld1r	{v19.2d}, [x1], 8
	ld1r	{v18.2d}, [x2], 8
	eor	v31.16b, v23.16b, v4.16b
	ld1r	{v16.2d}, [x3], 8
	ld1r	{v10.2d}, [x0], 8
	eor	v30.16b, v21.16b, v4.16b
	ld1r	{v8.2d}, [x1], 8
	eor	v28.16b, v19.16b, v4.16b
	ld1r	{v6.2d}, [x2], 8
	eor	v27.16b, v16.16b, v1.16b
	eor	v26.16b, v10.16b, v1.16b
	eor	v23.16b, v23.16b, v25.16b
	eor	v21.16b, v21.16b, v25.16b
	eor	v19.16b, v19.16b, v25.16b
	eor	v4.16b, v18.16b, v4.16b
	eor	v16.16b, v16.16b, v24.16b
	eor	v18.16b, v18.16b, v25.16b
	eor	v10.16b, v10.16b, v24.16b
	eor	v25.16b, v8.16b, v1.16b
	eor	v1.16b, v6.16b, v1.16b
	eor	v8.16b, v8.16b, v24.16b
	eor	v6.16b, v6.16b, v24.16b
	cnt	v31.16b, v31.16b
	cnt	v23.16b, v23.16b
	cnt	v30.16b, v30.16b
	cnt	v21.16b, v21.16b
	cnt	v28.16b, v28.16b
	cnt	v19.16b, v19.16b
	cnt	v4.16b, v4.16b
	cnt	v18.16b, v18.16b
	cnt	v27.16b, v27.16b
	cnt	v16.16b, v16.16b
	cnt	v26.16b, v26.16b
	cnt	v10.16b, v10.16b
	cnt	v25.16b, v25.16b
	cnt	v8.16b, v8.16b
	cnt	v1.16b, v1.16b
	cnt	v6.16b, v6.16b
	add	v2.16b, v31.16b, v2.16b
	add	v17.16b, v23.16b, v17.16b
	add	v22.16b, v30.16b, v22.16b
	add	v7.16b, v21.16b, v7.16b
	add	v20.16b, v28.16b, v20.16b
	add	v5.16b, v19.16b, v5.16b
	add	v3.16b, v4.16b, v3.16b
	add	v0.16b, v18.16b, v0.16b
	add	v2.16b, v27.16b, v2.16b
	add	v17.16b, v16.16b, v17.16b
	add	v22.16b, v26.16b, v22.16b
	add	v7.16b, v10.16b, v7.16b
	add	v20.16b, v25.16b, v20.16b
	add	v5.16b, v8.16b, v5.16b
	add	v3.16b, v1.16b, v3.16b
	add	v0.16b, v6.16b, v0.16b
	cmp	x6, x5
	bcs	.L11
# LLVM-MCA-END
