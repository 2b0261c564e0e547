# steady-state inner loop of acc_taps.constprop.0 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L1249)
# LLVM-MCA-BEGIN acc_taps
.L1249:
	ldr	d6, [x0]
	ldr	d8, [x2]
	ldr	d18, [x3]
	ldr	d16, [x4]
	add	x3, x3, 8
	ldp	q4, q26, [x6]
	ldp	q1, q25, [x6, 32]
	add	x4, x4, 8
	dup	v18.2d, v18.d[0]
	ld1r	{v24.2d}, [x3], 8
	dup	v16.2d, v16.d[0]
	add	x2, x2, 8
	dup	v8.2d, v8.d[0]
	add	x0, x0, 8
	dup	v6.2d, v6.d[0]
	add	x7, x7, 2
	ld1r	{v23.2d}, [x4], 8
	add	x6, x6, 64
	eor	v31.16b, v18.16b, v4.16b
	ld1r	{v21.2d}, [x2], 8
	eor	v30.16b, v16.16b, v4.16b
	ld1r	{v19.2d}, [x0], 8
	eor	v29.16b, v8.16b, v4.16b
	eor	v28.16b, v24.16b, v1.16b
	eor	v27.16b, v23.16b, v1.16b
	eor	v18.16b, v18.16b, v26.16b
	eor	v16.16b, v16.16b, v26.16b
	eor	v8.16b, v8.16b, v26.16b
	eor	v4.16b, v6.16b, v4.16b
	eor	v24.16b, v24.16b, v25.16b
	eor	v6.16b, v6.16b, v26.16b
	eor	v23.16b, v23.16b, v25.16b
	eor	v26.16b, v21.16b, v1.16b
	eor	v1.16b, v19.16b, v1.16b
	eor	v21.16b, v21.16b, v25.16b
	eor	v19.16b, v19.16b, v25.16b
	cnt	v31.16b, v31.16b
	cnt	v18.16b, v18.16b
	cnt	v30.16b, v30.16b
	cnt	v16.16b, v16.16b
	cnt	v29.16b, v29.16b
	cnt	v8.16b, v8.16b
	cnt	v4.16b, v4.16b
	cnt	v6.16b, v6.16b
	cnt	v28.16b, v28.16b
	cnt	v24.16b, v24.16b
	cnt	v27.16b, v27.16b
	cnt	v23.16b, v23.16b
	cnt	v26.16b, v26.16b
	cnt	v21.16b, v21.16b
	cnt	v1.16b, v1.16b
	cnt	v19.16b, v19.16b
	add	v2.16b, v31.16b, v2.16b
	add	v17.16b, v18.16b, v17.16b
	add	v22.16b, v30.16b, v22.16b
	add	v7.16b, v16.16b, v7.16b
	add	v20.16b, v29.16b, v20.16b
	add	v5.16b, v8.16b, v5.16b
	add	v3.16b, v4.16b, v3.16b
	add	v0.16b, v6.16b, v0.16b
	add	v2.16b, v28.16b, v2.16b
	add	v17.16b, v24.16b, v17.16b
	add	v22.16b, v27.16b, v22.16b
	add	v7.16b, v23.16b, v7.16b
	add	v20.16b, v26.16b, v20.16b
	add	v5.16b, v21.16b, v5.16b
	add	v3.16b, v1.16b, v3.16b
	add	v0.16b, v19.16b, v0.16b
	cmp	x8, x7
	bcs	.L1249
# LLVM-MCA-END
