# steady-state inner loop of acc_1p_taps.constprop.0 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L1051)
# LLVM-MCA-BEGIN acc_1p_taps
.L1051:
	ldr	d2, [x0]
	add	x0, x0, 8
	ldp	q16, q7, [x3]
	dup	v2.2d, v2.d[0]
	add	x22, x22, 2
	ldp	q5, q6, [x3, 32]
	add	x3, x3, 64
	eor	v17.16b, v2.16b, v16.16b
	ld1r	{v16.2d}, [x0], 8
	eor	v2.16b, v2.16b, v7.16b
	eor	v5.16b, v16.16b, v5.16b
	eor	v6.16b, v16.16b, v6.16b
	cnt	v7.16b, v17.16b
	cnt	v2.16b, v2.16b
	cnt	v5.16b, v5.16b
	cnt	v6.16b, v6.16b
	add	v1.16b, v7.16b, v1.16b
	add	v0.16b, v2.16b, v0.16b
	add	v1.16b, v5.16b, v1.16b
	add	v0.16b, v6.16b, v0.16b
	cmp	x23, x22
	bcs	.L1051
# LLVM-MCA-END
