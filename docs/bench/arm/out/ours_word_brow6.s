# steady-state inner loop of word_brow6 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L2260)
# LLVM-MCA-BEGIN word_brow6
.L2260:
	ld1 {v7.d}[0], [x0]
	ld1 {v7.d}[1], [x0], #8
	ldp	q8, q14, [x17]
	ld1 {v6.d}[0], [x4]
	ld1 {v6.d}[1], [x4], #8
	ldp	q13, q12, [x17, 32]
	ld1 {v5.d}[0], [x5]
	ld1 {v5.d}[1], [x5], #8
	ld1 {v4.d}[0], [x9]
	ld1 {v4.d}[1], [x9], #8
	eor	v11.16b, v7.16b, v8.16b
	eor	v23.16b, v7.16b, v14.16b
	eor	v16.16b, v7.16b, v13.16b
	eor	v22.16b, v7.16b, v12.16b
	eor	v10.16b, v6.16b, v8.16b
	eor	v21.16b, v6.16b, v14.16b
	eor	v15.16b, v6.16b, v13.16b
	eor	v20.16b, v6.16b, v12.16b
	eor	v9.16b, v5.16b, v8.16b
	eor	v19.16b, v5.16b, v14.16b
	eor	v17.16b, v5.16b, v13.16b
	eor	v18.16b, v5.16b, v12.16b
	eor	v8.16b, v4.16b, v8.16b
	eor	v14.16b, v4.16b, v14.16b
	eor	v13.16b, v4.16b, v13.16b
	eor	v12.16b, v4.16b, v12.16b
	cnt	v23.16b, v23.16b
	cnt	v22.16b, v22.16b
	cnt	v21.16b, v21.16b
	cnt	v20.16b, v20.16b
	cnt	v19.16b, v19.16b
	cnt	v14.16b, v14.16b
	cnt	v17.16b, v17.16b
	cnt	v18.16b, v18.16b
	cnt	v12.16b, v12.16b
	cnt	v11.16b, v11.16b
	cnt	v16.16b, v16.16b
	cnt	v10.16b, v10.16b
	cnt	v15.16b, v15.16b
	cnt	v9.16b, v9.16b
	cnt	v8.16b, v8.16b
	cnt	v13.16b, v13.16b
	addp	v11.16b, v11.16b, v23.16b
	addp	v16.16b, v16.16b, v22.16b
	addp	v10.16b, v10.16b, v21.16b
	addp	v15.16b, v15.16b, v20.16b
	addp	v9.16b, v9.16b, v19.16b
	addp	v8.16b, v8.16b, v14.16b
	addp	v13.16b, v13.16b, v12.16b
	addp	v14.16b, v17.16b, v18.16b
	addp	v11.16b, v11.16b, v16.16b
	addp	v10.16b, v10.16b, v15.16b
	addp	v8.16b, v8.16b, v13.16b
	addp	v9.16b, v9.16b, v14.16b
	uadalp	v0.8h, v11.16b
	uadalp	v3.8h, v10.16b
	uadalp	v2.8h, v8.16b
	uadalp	v1.8h, v9.16b
	ldp	q8, q13, [x17, 64]
	ld1 {v7.d}[0], [x0]
	ld1 {v7.d}[1], [x0], #8
	ldp	q12, q16, [x17, 96]
	ld1 {v6.d}[0], [x4]
	ld1 {v6.d}[1], [x4], #8
	ld1 {v5.d}[0], [x5]
	ld1 {v5.d}[1], [x5], #8
	ld1 {v4.d}[0], [x9]
	ld1 {v4.d}[1], [x9], #8
	eor	v11.16b, v7.16b, v8.16b
	eor	v23.16b, v7.16b, v13.16b
	eor	v15.16b, v7.16b, v12.16b
	eor	v22.16b, v7.16b, v16.16b
	eor	v10.16b, v6.16b, v8.16b
	eor	v21.16b, v6.16b, v13.16b
	eor	v14.16b, v6.16b, v12.16b
	eor	v20.16b, v6.16b, v16.16b
	eor	v9.16b, v5.16b, v8.16b
	eor	v19.16b, v5.16b, v13.16b
	eor	v24.16b, v5.16b, v12.16b
	eor	v13.16b, v4.16b, v13.16b
	eor	v18.16b, v5.16b, v16.16b
	eor	v8.16b, v4.16b, v8.16b
	eor	v12.16b, v4.16b, v12.16b
	eor	v16.16b, v4.16b, v16.16b
	cnt	v17.16b, v13.16b
	cnt	v23.16b, v23.16b
	cnt	v22.16b, v22.16b
	cnt	v21.16b, v21.16b
	cnt	v20.16b, v20.16b
	cnt	v19.16b, v19.16b
	cnt	v13.16b, v24.16b
	cnt	v18.16b, v18.16b
	cnt	v16.16b, v16.16b
	cnt	v11.16b, v11.16b
	cnt	v15.16b, v15.16b
	cnt	v10.16b, v10.16b
	cnt	v14.16b, v14.16b
	cnt	v9.16b, v9.16b
	cnt	v8.16b, v8.16b
	cnt	v12.16b, v12.16b
	addp	v11.16b, v11.16b, v23.16b
	addp	v15.16b, v15.16b, v22.16b
	addp	v10.16b, v10.16b, v21.16b
	addp	v14.16b, v14.16b, v20.16b
	addp	v9.16b, v9.16b, v19.16b
	addp	v8.16b, v8.16b, v17.16b
	addp	v13.16b, v13.16b, v18.16b
	addp	v12.16b, v12.16b, v16.16b
	addp	v11.16b, v11.16b, v15.16b
	addp	v10.16b, v10.16b, v14.16b
	addp	v9.16b, v9.16b, v13.16b
	addp	v8.16b, v8.16b, v12.16b
	uadalp	v0.8h, v11.16b
	uadalp	v3.8h, v10.16b
	uadalp	v1.8h, v9.16b
	uadalp	v2.8h, v8.16b
	add	x17, x17, 128
	cmp	x17, x7
	bne	.L2260
# LLVM-MCA-END
