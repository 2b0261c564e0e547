# steady-state inner loop of acc_brow24 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L225)
# LLVM-MCA-BEGIN acc_brow24
.L225:
	ldr	d12, [x3]
	add	x3, x3, 8
	ldp	q7, q24, [x4]
	ldp	q6, q4, [x4, 32]
	add	x4, x4, 64
	dup	v12.2d, v12.d[0]
	ld1r	{v23.2d}, [x0], 8
	ld1r	{v2.2d}, [x1], 8
	ld1r	{v21.2d}, [x2], 8
	eor	v30.16b, v23.16b, v7.16b
	ld1r	{v31.2d}, [x3], 8
	ld1r	{v19.2d}, [x0], 8
	eor	v29.16b, v2.16b, v7.16b
	ld1r	{v17.2d}, [x1], 8
	eor	v28.16b, v21.16b, v7.16b
	ld1r	{v15.2d}, [x2], 8
	eor	v26.16b, v19.16b, v6.16b
	eor	v25.16b, v17.16b, v6.16b
	eor	v23.16b, v23.16b, v24.16b
	eor	v2.16b, v2.16b, v24.16b
	eor	v21.16b, v21.16b, v24.16b
	eor	v7.16b, v12.16b, v7.16b
	eor	v19.16b, v19.16b, v4.16b
	eor	v12.16b, v12.16b, v24.16b
	eor	v17.16b, v17.16b, v4.16b
	eor	v24.16b, v15.16b, v6.16b
	eor	v15.16b, v15.16b, v4.16b
	eor	v6.16b, v31.16b, v6.16b
	eor	v4.16b, v31.16b, v4.16b
	cnt	v30.16b, v30.16b
	cnt	v23.16b, v23.16b
	cnt	v29.16b, v29.16b
	cnt	v2.16b, v2.16b
	cnt	v28.16b, v28.16b
	cnt	v21.16b, v21.16b
	cnt	v7.16b, v7.16b
	cnt	v12.16b, v12.16b
	cnt	v26.16b, v26.16b
	cnt	v19.16b, v19.16b
	cnt	v25.16b, v25.16b
	cnt	v17.16b, v17.16b
	cnt	v24.16b, v24.16b
	cnt	v15.16b, v15.16b
	cnt	v6.16b, v6.16b
	cnt	v4.16b, v4.16b
	add	v2.16b, v2.16b, v0.16b
	add	v22.16b, v30.16b, v22.16b
	add	v20.16b, v23.16b, v20.16b
	add	v18.16b, v29.16b, v18.16b
	add	v16.16b, v28.16b, v16.16b
	add	v5.16b, v21.16b, v5.16b
	add	v3.16b, v7.16b, v3.16b
	add	v1.16b, v12.16b, v1.16b
	add	v22.16b, v26.16b, v22.16b
	add	v20.16b, v19.16b, v20.16b
	add	v18.16b, v25.16b, v18.16b
	add	v0.16b, v17.16b, v2.16b
	add	v16.16b, v24.16b, v16.16b
	add	v5.16b, v15.16b, v5.16b
	add	v3.16b, v6.16b, v3.16b
	add	v1.16b, v4.16b, v1.16b
	cmp	x4, x5
	bne	.L225
# LLVM-MCA-END
