# steady-state inner loop of acc_1v in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L528)
# LLVM-MCA-BEGIN acc_1v
.L528:
	ldr	d20, [x0]
	add	x5, x5, 2
	ldr	d4, [x1]
	ldr	d19, [x2]
	ldr	d6, [x3]
	add	x2, x2, 8
	ldr	q1, [x4]
	ldr	d23, [x2], 8
	add	x3, x3, 8
	dup	v24.2d, v20.d[0]
	add	x1, x1, 8
	ldr	d22, [x3], 8
	ldr	d21, [x1], 8
	add	x0, x0, 8
	dup	v19.2d, v19.d[0]
	ldr	d25, [x0], 8
	dup	v6.2d, v6.d[0]
	dup	v4.2d, v4.d[0]
	ldr	q20, [x4, x7]
	eor	v19.16b, v1.16b, v19.16b
	add	x4, x4, x24
	eor	v6.16b, v1.16b, v6.16b
	eor	v4.16b, v1.16b, v4.16b
	dup	v23.2d, v23.d[0]
	eor	v1.16b, v1.16b, v24.16b
	dup	v22.2d, v22.d[0]
	dup	v21.2d, v21.d[0]
	dup	v24.2d, v25.d[0]
	eor	v23.16b, v20.16b, v23.16b
	eor	v22.16b, v20.16b, v22.16b
	eor	v21.16b, v20.16b, v21.16b
	cnt	v4.16b, v4.16b
	cnt	v1.16b, v1.16b
	eor	v20.16b, v20.16b, v24.16b
	cnt	v23.16b, v23.16b
	add	v3.16b, v4.16b, v3.16b
	add	v0.16b, v1.16b, v0.16b
	cnt	v19.16b, v19.16b
	cnt	v6.16b, v6.16b
	cnt	v4.16b, v22.16b
	cnt	v1.16b, v21.16b
	cnt	v20.16b, v20.16b
	add	v2.16b, v19.16b, v2.16b
	add	v5.16b, v6.16b, v5.16b
	add	v2.16b, v23.16b, v2.16b
	add	v5.16b, v4.16b, v5.16b
	add	v3.16b, v1.16b, v3.16b
	add	v0.16b, v20.16b, v0.16b
	cmp	x6, x5
	bcs	.L528
# LLVM-MCA-END
