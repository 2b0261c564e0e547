# steady-state inner loop of acc_1v_in_taps in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L436)
# LLVM-MCA-BEGIN acc_1v_in_taps
.L436:
	ldr	q0, [x4]
	ld1r {v22.2d}, [x1], #8
	ld1r {v4.2d}, [x0], #8
	ld1r {v24.2d}, [x2], #8
	eor	v23.16b, v0.16b, v22.16b
	eor	v24.16b, v0.16b, v24.16b
	ld1r {v22.2d}, [x21], #8
	eor	v4.16b, v0.16b, v4.16b
	eor	v0.16b, v0.16b, v22.16b
	cnt	v22.16b, v23.16b
	cnt	v23.16b, v24.16b
	cnt	v4.16b, v4.16b
	cnt	v0.16b, v0.16b
	uadalp	v21.8h, v22.16b
	uadalp	v20.8h, v23.16b
	uadalp	v1.8h, v4.16b
	uadalp	v19.8h, v0.16b
	ldr	q0, [x4, x5]
	ld1r {v22.2d}, [x1], #8
	ld1r {v4.2d}, [x0], #8
	ld1r {v24.2d}, [x2], #8
	eor	v23.16b, v0.16b, v22.16b
	eor	v24.16b, v0.16b, v24.16b
	ld1r {v22.2d}, [x21], #8
	eor	v4.16b, v0.16b, v4.16b
	eor	v0.16b, v0.16b, v22.16b
	cnt	v22.16b, v23.16b
	cnt	v23.16b, v24.16b
	cnt	v4.16b, v4.16b
	cnt	v0.16b, v0.16b
	uadalp	v21.8h, v22.16b
	uadalp	v20.8h, v23.16b
	uadalp	v1.8h, v4.16b
	uadalp	v19.8h, v0.16b
	add	x9, x9, 2
	add	x4, x4, x7
	cmp	x17, x9
	bcs	.L436
# LLVM-MCA-END
