# steady-state inner loop of word_row12 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L895)
# LLVM-MCA-BEGIN word_row12
.L895:
	ldp	q9, q21, [x24]
	ld1r	{v19.2d}, [x4], 8
	ldp	q8, q20, [x24, 32]
	eor	v31.16b, v19.16b, v9.16b
	ld1r	{v3.2d}, [x6], 8
	ld1r	{v18.2d}, [x0], 8
	add	x24, x24, 64
	ld1r	{v16.2d}, [x13], 8
	eor	v30.16b, v3.16b, v9.16b
	ld1r	{v14.2d}, [x4], 8
	cnt	v31.16b, v31.16b
	ld1r	{v12.2d}, [x6], 8
	eor	v24.16b, v18.16b, v9.16b
	ld1r	{v11.2d}, [x0], 8
	eor	v23.16b, v14.16b, v8.16b
	ld1r	{v10.2d}, [x13], 8
	eor	v19.16b, v19.16b, v21.16b
	eor	v3.16b, v3.16b, v21.16b
	eor	v18.16b, v18.16b, v21.16b
	eor	v9.16b, v16.16b, v9.16b
	add	v0.16b, v31.16b, v0.16b
	eor	v16.16b, v16.16b, v21.16b
	eor	v31.16b, v11.16b, v8.16b
	eor	v21.16b, v12.16b, v8.16b
	eor	v14.16b, v14.16b, v20.16b
	eor	v8.16b, v10.16b, v8.16b
	eor	v12.16b, v12.16b, v20.16b
	eor	v11.16b, v11.16b, v20.16b
	eor	v10.16b, v10.16b, v20.16b
	cnt	v19.16b, v19.16b
	cnt	v30.16b, v30.16b
	cnt	v3.16b, v3.16b
	cnt	v24.16b, v24.16b
	cnt	v18.16b, v18.16b
	cnt	v9.16b, v9.16b
	cnt	v16.16b, v16.16b
	cnt	v23.16b, v23.16b
	cnt	v14.16b, v14.16b
	cnt	v21.16b, v21.16b
	cnt	v12.16b, v12.16b
	cnt	v31.16b, v31.16b
	cnt	v11.16b, v11.16b
	cnt	v8.16b, v8.16b
	cnt	v10.16b, v10.16b
	add	v3.16b, v3.16b, v1.16b
	add	v5.16b, v19.16b, v5.16b
	add	v13.16b, v30.16b, v13.16b
	add	v6.16b, v24.16b, v6.16b
	add	v4.16b, v18.16b, v4.16b
	add	v7.16b, v9.16b, v7.16b
	add	v2.16b, v16.16b, v2.16b
	add	v0.16b, v23.16b, v0.16b
	add	v5.16b, v14.16b, v5.16b
	add	v13.16b, v21.16b, v13.16b
	add	v1.16b, v12.16b, v3.16b
	add	v6.16b, v31.16b, v6.16b
	add	v4.16b, v11.16b, v4.16b
	add	v7.16b, v8.16b, v7.16b
	add	v2.16b, v10.16b, v2.16b
	cmp	x24, x5
	bne	.L895
# LLVM-MCA-END
