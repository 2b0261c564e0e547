# steady-state inner loop of acc_1p.constprop.0 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L1080)
# LLVM-MCA-BEGIN acc_1p
.L1080:
	ldp	q3, q16, [x0]
	ldp	q6, q7, [x0, 32]
	add	x0, x0, 64
	ld1r	{v17.2d}, [x19], 8
	ld1r	{v5.2d}, [x19], 8
	eor	v3.16b, v17.16b, v3.16b
	eor	v16.16b, v17.16b, v16.16b
	eor	v6.16b, v5.16b, v6.16b
	eor	v5.16b, v5.16b, v7.16b
	cnt	v3.16b, v3.16b
	cnt	v7.16b, v16.16b
	cnt	v6.16b, v6.16b
	cnt	v5.16b, v5.16b
	add	v1.16b, v3.16b, v1.16b
	add	v0.16b, v7.16b, v0.16b
	add	v1.16b, v6.16b, v1.16b
	add	v0.16b, v5.16b, v0.16b
	cmp	x0, x3
	bne	.L1080
# LLVM-MCA-END
