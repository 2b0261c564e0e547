# steady-state inner loop of acc_row6 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L337)
# LLVM-MCA-BEGIN acc_row6
.L337:
	ldp	q4, q18, [x4]
	ld1 {v3.d}[0], [x3]
	ld1 {v3.d}[1], [x3], #8
	ldp	q17, q16, [x4, 32]
	ld1 {v2.d}[0], [x2]
	ld1 {v2.d}[1], [x2], #8
	ld1 {v1.d}[0], [x1]
	ld1 {v1.d}[1], [x1], #8
	ld1 {v0.d}[0], [x0]
	ld1 {v0.d}[1], [x0], #8
	eor	v7.16b, v3.16b, v4.16b
	eor	v31.16b, v3.16b, v18.16b
	eor	v24.16b, v3.16b, v17.16b
	eor	v30.16b, v3.16b, v16.16b
	eor	v6.16b, v2.16b, v4.16b
	eor	v29.16b, v2.16b, v18.16b
	eor	v19.16b, v2.16b, v17.16b
	eor	v28.16b, v2.16b, v16.16b
	eor	v5.16b, v1.16b, v4.16b
	eor	v27.16b, v1.16b, v18.16b
	eor	v25.16b, v1.16b, v17.16b
	eor	v26.16b, v1.16b, v16.16b
	eor	v4.16b, v0.16b, v4.16b
	eor	v18.16b, v0.16b, v18.16b
	eor	v17.16b, v0.16b, v17.16b
	eor	v16.16b, v0.16b, v16.16b
	cnt	v31.16b, v31.16b
	cnt	v30.16b, v30.16b
	cnt	v29.16b, v29.16b
	cnt	v28.16b, v28.16b
	cnt	v27.16b, v27.16b
	cnt	v18.16b, v18.16b
	cnt	v25.16b, v25.16b
	cnt	v26.16b, v26.16b
	cnt	v16.16b, v16.16b
	cnt	v7.16b, v7.16b
	cnt	v24.16b, v24.16b
	cnt	v6.16b, v6.16b
	cnt	v19.16b, v19.16b
	cnt	v5.16b, v5.16b
	cnt	v4.16b, v4.16b
	cnt	v17.16b, v17.16b
	addp	v7.16b, v7.16b, v31.16b
	addp	v24.16b, v24.16b, v30.16b
	addp	v6.16b, v6.16b, v29.16b
	addp	v19.16b, v19.16b, v28.16b
	addp	v5.16b, v5.16b, v27.16b
	addp	v4.16b, v4.16b, v18.16b
	addp	v17.16b, v17.16b, v16.16b
	addp	v18.16b, v25.16b, v26.16b
	addp	v7.16b, v7.16b, v24.16b
	addp	v6.16b, v6.16b, v19.16b
	addp	v4.16b, v4.16b, v17.16b
	addp	v5.16b, v5.16b, v18.16b
	uadalp	v20.8h, v7.16b
	uadalp	v21.8h, v6.16b
	uadalp	v23.8h, v4.16b
	uadalp	v22.8h, v5.16b
	ldp	q4, q16, [x4, 64]
	ld1 {v3.d}[0], [x3]
	ld1 {v3.d}[1], [x3], #8
	ldp	q25, q24, [x4, 96]
	ld1 {v2.d}[0], [x2]
	ld1 {v2.d}[1], [x2], #8
	ld1 {v1.d}[0], [x1]
	ld1 {v1.d}[1], [x1], #8
	ld1 {v0.d}[0], [x0]
	ld1 {v0.d}[1], [x0], #8
	eor	v7.16b, v3.16b, v4.16b
	eor	v31.16b, v3.16b, v16.16b
	eor	v19.16b, v3.16b, v25.16b
	eor	v30.16b, v3.16b, v24.16b
	eor	v6.16b, v2.16b, v4.16b
	eor	v29.16b, v2.16b, v16.16b
	eor	v18.16b, v2.16b, v25.16b
	eor	v28.16b, v2.16b, v24.16b
	eor	v5.16b, v1.16b, v4.16b
	eor	v27.16b, v1.16b, v16.16b
	eor	v17.16b, v1.16b, v25.16b
	eor	v26.16b, v0.16b, v25.16b
	eor	v4.16b, v0.16b, v4.16b
	eor	v25.16b, v1.16b, v24.16b
	eor	v16.16b, v0.16b, v16.16b
	eor	v24.16b, v0.16b, v24.16b
	cnt	v31.16b, v31.16b
	cnt	v30.16b, v30.16b
	cnt	v29.16b, v29.16b
	cnt	v28.16b, v28.16b
	cnt	v27.16b, v27.16b
	cnt	v16.16b, v16.16b
	cnt	v26.16b, v26.16b
	cnt	v25.16b, v25.16b
	cnt	v24.16b, v24.16b
	cnt	v7.16b, v7.16b
	cnt	v19.16b, v19.16b
	cnt	v6.16b, v6.16b
	cnt	v18.16b, v18.16b
	cnt	v5.16b, v5.16b
	cnt	v4.16b, v4.16b
	cnt	v17.16b, v17.16b
	addp	v7.16b, v7.16b, v31.16b
	addp	v19.16b, v19.16b, v30.16b
	addp	v6.16b, v6.16b, v29.16b
	addp	v18.16b, v18.16b, v28.16b
	addp	v5.16b, v5.16b, v27.16b
	addp	v4.16b, v4.16b, v16.16b
	addp	v17.16b, v17.16b, v25.16b
	addp	v16.16b, v26.16b, v24.16b
	addp	v7.16b, v7.16b, v19.16b
	addp	v6.16b, v6.16b, v18.16b
	addp	v5.16b, v5.16b, v17.16b
	addp	v4.16b, v4.16b, v16.16b
	uadalp	v20.8h, v7.16b
	uadalp	v21.8h, v6.16b
	uadalp	v22.8h, v5.16b
	uadalp	v23.8h, v4.16b
	add	x4, x4, 128
	cmp	x4, x5
	bne	.L337
# LLVM-MCA-END
