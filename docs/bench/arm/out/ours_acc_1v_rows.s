# steady-state inner loop of acc_1v_rows in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L416)
# LLVM-MCA-BEGIN acc_1v_rows
.L416:
	ldr	d16, [x1], 8
	ldr	d23, [x3], 8
	ldr	d24, [x9], 8
	ldr	d21, [x11], 8
	ldr	d19, [x1], 8
	add	x23, x23, 2
	ldr	d18, [x3], 8
	ldr	d17, [x9], 8
	ldr	d20, [x11], 8
	ldr	q22, [x20]
	dup	v25.2d, v16.d[0]
	ldr	q16, [x20, x7]
	add	x20, x20, x8
	dup	v26.2d, v23.d[0]
	dup	v27.2d, v24.d[0]
	dup	v21.2d, v21.d[0]
	dup	v19.2d, v19.d[0]
	dup	v18.2d, v18.d[0]
	dup	v17.2d, v17.d[0]
	dup	v20.2d, v20.d[0]
	eor	v23.16b, v22.16b, v25.16b
	eor	v24.16b, v22.16b, v26.16b
	eor	v19.16b, v16.16b, v19.16b
	eor	v26.16b, v22.16b, v21.16b
	eor	v18.16b, v16.16b, v18.16b
	eor	v17.16b, v16.16b, v17.16b
	eor	v25.16b, v22.16b, v27.16b
	eor	v16.16b, v16.16b, v20.16b
	cnt	v21.16b, v23.16b
	cnt	v22.16b, v24.16b
	cnt	v19.16b, v19.16b
	cnt	v18.16b, v18.16b
	cnt	v17.16b, v17.16b
	cnt	v16.16b, v16.16b
	cnt	v23.16b, v25.16b
	cnt	v24.16b, v26.16b
	add	v2.16b, v21.16b, v2.16b
	add	v5.16b, v22.16b, v5.16b
	add	v3.16b, v23.16b, v3.16b
	add	v0.16b, v24.16b, v0.16b
	add	v2.16b, v19.16b, v2.16b
	add	v5.16b, v18.16b, v5.16b
	add	v3.16b, v17.16b, v3.16b
	add	v0.16b, v16.16b, v0.16b
	cmp	x26, x23
	bcs	.L416
# LLVM-MCA-END
