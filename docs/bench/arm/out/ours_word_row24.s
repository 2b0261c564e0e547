# steady-state inner loop of word_row24 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L1175)
# LLVM-MCA-BEGIN word_row24
.L1175:
	ldp	q4, q20, [x4]
	ld1 {v1.d}[0], [x2]
	ld1 {v1.d}[1], [x2], #8
	ldp	q19, q7, [x4, 32]
	ld1 {v3.d}[0], [x6]
	ld1 {v3.d}[1], [x6], #8
	ld1 {v2.d}[0], [x1]
	ld1 {v2.d}[1], [x1], #8
	ld1 {v0.d}[0], [x0]
	ld1 {v0.d}[1], [x0], #8
	eor	v25.16b, v1.16b, v4.16b
	eor	v30.16b, v1.16b, v20.16b
	eor	v27.16b, v1.16b, v19.16b
	eor	v29.16b, v1.16b, v7.16b
	eor	v6.16b, v3.16b, v4.16b
	eor	v11.16b, v3.16b, v20.16b
	eor	v26.16b, v3.16b, v19.16b
	eor	v10.16b, v3.16b, v7.16b
	eor	v5.16b, v2.16b, v4.16b
	eor	v9.16b, v2.16b, v20.16b
	eor	v28.16b, v2.16b, v19.16b
	eor	v8.16b, v2.16b, v7.16b
	eor	v4.16b, v0.16b, v4.16b
	eor	v20.16b, v0.16b, v20.16b
	eor	v19.16b, v0.16b, v19.16b
	eor	v7.16b, v0.16b, v7.16b
	cnt	v30.16b, v30.16b
	cnt	v29.16b, v29.16b
	cnt	v11.16b, v11.16b
	cnt	v10.16b, v10.16b
	cnt	v9.16b, v9.16b
	cnt	v20.16b, v20.16b
	cnt	v28.16b, v28.16b
	cnt	v8.16b, v8.16b
	cnt	v7.16b, v7.16b
	cnt	v25.16b, v25.16b
	cnt	v27.16b, v27.16b
	cnt	v6.16b, v6.16b
	cnt	v26.16b, v26.16b
	cnt	v5.16b, v5.16b
	cnt	v4.16b, v4.16b
	cnt	v19.16b, v19.16b
	addp	v25.16b, v25.16b, v30.16b
	addp	v27.16b, v27.16b, v29.16b
	addp	v6.16b, v6.16b, v11.16b
	addp	v19.16b, v19.16b, v7.16b
	addp	v26.16b, v26.16b, v10.16b
	addp	v5.16b, v5.16b, v9.16b
	addp	v4.16b, v4.16b, v20.16b
	addp	v20.16b, v28.16b, v8.16b
	addp	v7.16b, v25.16b, v27.16b
	addp	v6.16b, v6.16b, v26.16b
	addp	v4.16b, v4.16b, v19.16b
	addp	v5.16b, v5.16b, v20.16b
	uadalp	v21.8h, v7.16b
	uadalp	v22.8h, v6.16b
	uadalp	v24.8h, v4.16b
	uadalp	v23.8h, v5.16b
	ldp	q4, q20, [x4, 64]
	ld1 {v1.d}[0], [x2]
	ld1 {v1.d}[1], [x2], #8
	ldp	q19, q7, [x4, 96]
	ld1 {v3.d}[0], [x6]
	ld1 {v3.d}[1], [x6], #8
	ld1 {v2.d}[0], [x1]
	ld1 {v2.d}[1], [x1], #8
	ld1 {v0.d}[0], [x0]
	ld1 {v0.d}[1], [x0], #8
	eor	v27.16b, v2.16b, v19.16b
	eor	v10.16b, v1.16b, v4.16b
	eor	v11.16b, v1.16b, v20.16b
	eor	v26.16b, v1.16b, v19.16b
	eor	v9.16b, v1.16b, v7.16b
	eor	v6.16b, v3.16b, v4.16b
	eor	v8.16b, v3.16b, v20.16b
	eor	v25.16b, v3.16b, v19.16b
	eor	v31.16b, v3.16b, v7.16b
	eor	v5.16b, v2.16b, v4.16b
	eor	v30.16b, v2.16b, v20.16b
	eor	v29.16b, v2.16b, v7.16b
	eor	v20.16b, v0.16b, v20.16b
	eor	v7.16b, v0.16b, v7.16b
	eor	v4.16b, v0.16b, v4.16b
	eor	v19.16b, v0.16b, v19.16b
	cnt	v28.16b, v20.16b
	cnt	v10.16b, v10.16b
	cnt	v11.16b, v11.16b
	cnt	v9.16b, v9.16b
	cnt	v8.16b, v8.16b
	cnt	v31.16b, v31.16b
	cnt	v30.16b, v30.16b
	cnt	v20.16b, v27.16b
	cnt	v29.16b, v29.16b
	cnt	v27.16b, v7.16b
	cnt	v26.16b, v26.16b
	cnt	v6.16b, v6.16b
	cnt	v25.16b, v25.16b
	cnt	v5.16b, v5.16b
	cnt	v4.16b, v4.16b
	cnt	v19.16b, v19.16b
	addp	v7.16b, v10.16b, v11.16b
	addp	v26.16b, v26.16b, v9.16b
	addp	v6.16b, v6.16b, v8.16b
	addp	v25.16b, v25.16b, v31.16b
	addp	v5.16b, v5.16b, v30.16b
	addp	v4.16b, v4.16b, v28.16b
	addp	v20.16b, v20.16b, v29.16b
	addp	v19.16b, v19.16b, v27.16b
	addp	v7.16b, v7.16b, v26.16b
	addp	v6.16b, v6.16b, v25.16b
	addp	v5.16b, v5.16b, v20.16b
	addp	v4.16b, v4.16b, v19.16b
	uadalp	v21.8h, v7.16b
	uadalp	v22.8h, v6.16b
	uadalp	v23.8h, v5.16b
	uadalp	v24.8h, v4.16b
	add	x4, x4, 128
	cmp	x4, x9
	bne	.L1175
# LLVM-MCA-END
