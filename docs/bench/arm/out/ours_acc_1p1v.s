# steady-state inner loop of acc_1p1v in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L568)
# LLVM-MCA-BEGIN acc_1p1v
.L568:
	ldr	d2, [x0]
	add	x24, x24, 2
	add	x0, x0, 8
	ldr	d4, [x0], 8
	ldr	q1, [x19]
	dup	v5.2d, v2.d[0]
	ldr	q2, [x19, x4]
	add	x19, x19, x5
	dup	v4.2d, v4.d[0]
	eor	v1.16b, v1.16b, v5.16b
	eor	v2.16b, v2.16b, v4.16b
	cnt	v1.16b, v1.16b
	cnt	v2.16b, v2.16b
	add	v0.16b, v1.16b, v0.16b
	add	v0.16b, v2.16b, v0.16b
	cmp	x24, x25
	bls	.L568
# LLVM-MCA-END
