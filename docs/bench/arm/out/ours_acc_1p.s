# steady-state inner loop of acc_1p.constprop.0 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L4593)
# LLVM-MCA-BEGIN acc_1p
.L4593:
	ldp	q0, q6, [x0]
	ld1r {v3.2d}, [x1], #8
	ldp	q5, q7, [x0, 32]
	eor	v0.16b, v3.16b, v0.16b
	eor	v6.16b, v3.16b, v6.16b
	eor	v5.16b, v3.16b, v5.16b
	eor	v3.16b, v3.16b, v7.16b
	cnt	v0.16b, v0.16b
	cnt	v6.16b, v6.16b
	cnt	v5.16b, v5.16b
	cnt	v3.16b, v3.16b
	addp	v0.16b, v0.16b, v6.16b
	addp	v3.16b, v5.16b, v3.16b
	addp	v0.16b, v0.16b, v3.16b
	uadalp	v4.8h, v0.16b
	ldp	q0, q6, [x0, 64]
	ld1r {v3.2d}, [x1], #8
	ldp	q5, q7, [x0, 96]
	eor	v0.16b, v3.16b, v0.16b
	eor	v6.16b, v3.16b, v6.16b
	eor	v5.16b, v3.16b, v5.16b
	eor	v3.16b, v3.16b, v7.16b
	cnt	v0.16b, v0.16b
	cnt	v6.16b, v6.16b
	cnt	v5.16b, v5.16b
	cnt	v3.16b, v3.16b
	addp	v0.16b, v0.16b, v6.16b
	addp	v3.16b, v5.16b, v3.16b
	addp	v0.16b, v0.16b, v3.16b
	uadalp	v4.8h, v0.16b
	add	x0, x0, 128
	cmp	x0, x3
	bne	.L4593
# LLVM-MCA-END
