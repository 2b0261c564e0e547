# steady-state inner loop of acc_1p1v in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L531)
# LLVM-MCA-BEGIN acc_1p1v
.L531:
	ldr	q0, [x7]
	ld1r {v4.2d}, [x3], #8
	eor	v0.16b, v0.16b, v4.16b
	cnt	v0.16b, v0.16b
	uadalp	v1.8h, v0.16b
	ldr	q0, [x7, x4]
	ld1r {v4.2d}, [x3], #8
	eor	v0.16b, v0.16b, v4.16b
	cnt	v0.16b, v0.16b
	uadalp	v1.8h, v0.16b
	add	x20, x20, 2
	add	x7, x7, x5
	cmp	x23, x20
	bcs	.L531
# LLVM-MCA-END
