# steady-state inner loop of acc_1v_in_taps in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L450)
# LLVM-MCA-BEGIN acc_1v_in_taps
.L450:
	ldr	d5, [x1], 8
	ldr	q1, [x10]
	add	x13, x13, 2
	ldr	d16, [x3], 8
	ldr	d24, [x9], 8
	ldr	d23, [x0], 8
	ldr	d21, [x3], 8
	ldr	d20, [x1], 8
	ldr	d19, [x9], 8
	ldr	d22, [x0], 8
	dup	v5.2d, v5.d[0]
	dup	v25.2d, v16.d[0]
	ldr	q16, [x10, x7]
	add	x10, x10, x8
	dup	v26.2d, v24.d[0]
	dup	v23.2d, v23.d[0]
	eor	v5.16b, v1.16b, v5.16b
	dup	v21.2d, v21.d[0]
	dup	v20.2d, v20.d[0]
	dup	v19.2d, v19.d[0]
	dup	v22.2d, v22.d[0]
	eor	v24.16b, v1.16b, v25.16b
	eor	v21.16b, v16.16b, v21.16b
	eor	v20.16b, v16.16b, v20.16b
	eor	v19.16b, v16.16b, v19.16b
	eor	v25.16b, v1.16b, v26.16b
	eor	v16.16b, v16.16b, v22.16b
	eor	v1.16b, v1.16b, v23.16b
	cnt	v5.16b, v5.16b
	cnt	v23.16b, v24.16b
	cnt	v21.16b, v21.16b
	cnt	v1.16b, v1.16b
	add	v5.16b, v5.16b, v7.16b
	cnt	v19.16b, v19.16b
	cnt	v16.16b, v16.16b
	cnt	v24.16b, v25.16b
	cnt	v7.16b, v20.16b
	add	v0.16b, v1.16b, v0.16b
	add	v2.16b, v23.16b, v2.16b
	add	v3.16b, v24.16b, v3.16b
	mov	v1.16b, v5.16b
	add	v2.16b, v21.16b, v2.16b
	add	v7.16b, v7.16b, v1.16b
	add	v3.16b, v19.16b, v3.16b
	add	v0.16b, v16.16b, v0.16b
	cmp	x19, x13
	bcs	.L450
# LLVM-MCA-END
