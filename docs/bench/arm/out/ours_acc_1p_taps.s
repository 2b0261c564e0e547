# steady-state inner loop of acc_1p_taps.constprop.0 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L4542)
# LLVM-MCA-BEGIN acc_1p_taps
.L4542:
	ldp	q0, q3, [x16]
	ld1r {v6.2d}, [x0], #8
	ldp	q7, q5, [x16, 32]
	eor	v0.16b, v6.16b, v0.16b
	eor	v3.16b, v6.16b, v3.16b
	eor	v7.16b, v6.16b, v7.16b
	eor	v6.16b, v6.16b, v5.16b
	cnt	v0.16b, v0.16b
	cnt	v3.16b, v3.16b
	cnt	v5.16b, v7.16b
	cnt	v6.16b, v6.16b
	addp	v0.16b, v0.16b, v3.16b
	addp	v3.16b, v5.16b, v6.16b
	addp	v0.16b, v0.16b, v3.16b
	uadalp	v4.8h, v0.16b
	ldp	q0, q3, [x16, 64]
	ld1r {v6.2d}, [x0], #8
	ldp	q7, q5, [x16, 96]
	eor	v0.16b, v6.16b, v0.16b
	eor	v3.16b, v6.16b, v3.16b
	eor	v7.16b, v6.16b, v7.16b
	eor	v6.16b, v6.16b, v5.16b
	cnt	v0.16b, v0.16b
	cnt	v3.16b, v3.16b
	cnt	v5.16b, v7.16b
	cnt	v6.16b, v6.16b
	addp	v0.16b, v0.16b, v3.16b
	addp	v3.16b, v5.16b, v6.16b
	addp	v0.16b, v0.16b, v3.16b
	uadalp	v4.8h, v0.16b
	add	x20, x20, 2
	add	x16, x16, 128
	cmp	x22, x20
	bcs	.L4542
# LLVM-MCA-END
