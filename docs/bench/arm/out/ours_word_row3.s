# steady-state inner loop of word_row3 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L873)
# LLVM-MCA-BEGIN word_row3
.L873:
	ldp	q5, q4, [x10]
	add	x13, x18, x12
	ldp	q19, q18, [x10, 32]
	ld1 {v2.d}[0], [x13]
	ld1 {v2.d}[1], [x13], #8
	add	x9, x17, x12
	add	x0, x15, x12
	ld1 {v1.d}[0], [x9]
	ld1 {v1.d}[1], [x9], #8
	ld1 {v0.d}[0], [x0]
	ld1 {v0.d}[1], [x0], #8
	eor	v28.16b, v2.16b, v19.16b
	mov	x14, x12
	eor	v30.16b, v2.16b, v18.16b
	ld1 {v3.d}[0], [x14]
	ld1 {v3.d}[1], [x14], #8
	eor	v27.16b, v1.16b, v19.16b
	eor	v25.16b, v3.16b, v5.16b
	eor	v10.16b, v1.16b, v18.16b
	eor	v26.16b, v0.16b, v19.16b
	eor	v8.16b, v0.16b, v18.16b
	eor	v24.16b, v3.16b, v4.16b
	eor	v19.16b, v3.16b, v19.16b
	eor	v18.16b, v3.16b, v18.16b
	eor	v31.16b, v2.16b, v5.16b
	eor	v11.16b, v2.16b, v4.16b
	eor	v6.16b, v1.16b, v5.16b
	eor	v29.16b, v1.16b, v4.16b
	eor	v9.16b, v0.16b, v4.16b
	eor	v12.16b, v0.16b, v5.16b
	cnt	v4.16b, v25.16b
	cnt	v24.16b, v24.16b
	cnt	v18.16b, v18.16b
	cnt	v19.16b, v19.16b
	cnt	v31.16b, v31.16b
	cnt	v11.16b, v11.16b
	cnt	v30.16b, v30.16b
	addp	v19.16b, v19.16b, v18.16b
	cnt	v29.16b, v29.16b
	cnt	v10.16b, v10.16b
	cnt	v5.16b, v12.16b
	cnt	v9.16b, v9.16b
	cnt	v8.16b, v8.16b
	addp	v4.16b, v4.16b, v24.16b
	cnt	v28.16b, v28.16b
	cnt	v6.16b, v6.16b
	cnt	v27.16b, v27.16b
	cnt	v26.16b, v26.16b
	addp	v25.16b, v31.16b, v11.16b
	addp	v28.16b, v28.16b, v30.16b
	addp	v6.16b, v6.16b, v29.16b
	addp	v27.16b, v27.16b, v10.16b
	addp	v5.16b, v5.16b, v9.16b
	addp	v26.16b, v26.16b, v8.16b
	addp	v4.16b, v4.16b, v19.16b
	addp	v18.16b, v25.16b, v28.16b
	addp	v6.16b, v6.16b, v27.16b
	addp	v5.16b, v5.16b, v26.16b
	uadalp	v20.8h, v4.16b
	uadalp	v22.8h, v18.16b
	uadalp	v21.8h, v6.16b
	uadalp	v23.8h, v5.16b
	mov	v24.16b, v20.16b
	ldp	q6, q5, [x10, 64]
	ld1 {v3.d}[0], [x14]
	ld1 {v3.d}[1], [x14], #8
	ldp	q4, q25, [x10, 96]
	ld1 {v2.d}[0], [x13]
	ld1 {v2.d}[1], [x13], #8
	ld1 {v1.d}[0], [x9]
	ld1 {v1.d}[1], [x9], #8
	ld1 {v0.d}[0], [x0]
	ld1 {v0.d}[1], [x0], #8
	eor	v28.16b, v3.16b, v6.16b
	eor	v20.16b, v0.16b, v6.16b
	eor	v31.16b, v3.16b, v5.16b
	eor	v26.16b, v3.16b, v4.16b
	eor	v30.16b, v3.16b, v25.16b
	eor	v29.16b, v2.16b, v5.16b
	eor	v13.16b, v2.16b, v4.16b
	eor	v10.16b, v2.16b, v25.16b
	eor	v12.16b, v1.16b, v6.16b
	eor	v9.16b, v1.16b, v5.16b
	eor	v19.16b, v0.16b, v5.16b
	eor	v11.16b, v1.16b, v4.16b
	eor	v18.16b, v0.16b, v4.16b
	eor	v8.16b, v1.16b, v25.16b
	eor	v27.16b, v0.16b, v25.16b
	eor	v14.16b, v2.16b, v6.16b
	cnt	v31.16b, v31.16b
	cnt	v30.16b, v30.16b
	cnt	v29.16b, v29.16b
	cnt	v6.16b, v14.16b
	cnt	v25.16b, v13.16b
	cnt	v10.16b, v10.16b
	cnt	v5.16b, v12.16b
	cnt	v4.16b, v20.16b
	cnt	v9.16b, v9.16b
	cnt	v19.16b, v19.16b
	cnt	v20.16b, v11.16b
	cnt	v18.16b, v18.16b
	cnt	v8.16b, v8.16b
	cnt	v27.16b, v27.16b
	cnt	v28.16b, v28.16b
	cnt	v26.16b, v26.16b
	addp	v20.16b, v20.16b, v8.16b
	addp	v6.16b, v6.16b, v29.16b
	addp	v28.16b, v28.16b, v31.16b
	addp	v26.16b, v26.16b, v30.16b
	addp	v25.16b, v25.16b, v10.16b
	addp	v5.16b, v5.16b, v9.16b
	addp	v4.16b, v4.16b, v19.16b
	addp	v19.16b, v18.16b, v27.16b
	addp	v6.16b, v6.16b, v25.16b
	addp	v5.16b, v5.16b, v20.16b
	addp	v18.16b, v28.16b, v26.16b
	addp	v4.16b, v4.16b, v19.16b
	mov	v20.16b, v24.16b
	uadalp	v22.8h, v6.16b
	uadalp	v21.8h, v5.16b
	uadalp	v23.8h, v4.16b
	uadalp	v20.8h, v18.16b
	ldp	q4, q19, [x10, 128]
	ld1 {v3.d}[0], [x14]
	ld1 {v3.d}[1], [x14], #8
	ldp	q18, q5, [x10, 160]
	ld1 {v2.d}[0], [x13]
	ld1 {v2.d}[1], [x13], #8
	ld1 {v1.d}[0], [x9]
	ld1 {v1.d}[1], [x9], #8
	ld1 {v0.d}[0], [x0]
	ld1 {v0.d}[1], [x0], #8
	eor	v12.16b, v3.16b, v4.16b
	eor	v10.16b, v3.16b, v19.16b
	eor	v26.16b, v3.16b, v18.16b
	eor	v9.16b, v3.16b, v5.16b
	eor	v6.16b, v2.16b, v4.16b
	eor	v8.16b, v2.16b, v19.16b
	eor	v25.16b, v2.16b, v18.16b
	eor	v31.16b, v2.16b, v5.16b
	eor	v11.16b, v1.16b, v4.16b
	eor	v30.16b, v1.16b, v19.16b
	eor	v28.16b, v0.16b, v19.16b
	eor	v24.16b, v1.16b, v18.16b
	eor	v19.16b, v0.16b, v18.16b
	eor	v29.16b, v1.16b, v5.16b
	eor	v27.16b, v0.16b, v5.16b
	eor	v4.16b, v0.16b, v4.16b
	cnt	v18.16b, v12.16b
	cnt	v10.16b, v10.16b
	cnt	v9.16b, v9.16b
	cnt	v8.16b, v8.16b
	cnt	v31.16b, v31.16b
	cnt	v5.16b, v11.16b
	cnt	v30.16b, v30.16b
	cnt	v28.16b, v28.16b
	cnt	v29.16b, v29.16b
	cnt	v27.16b, v27.16b
	cnt	v26.16b, v26.16b
	cnt	v6.16b, v6.16b
	cnt	v25.16b, v25.16b
	cnt	v4.16b, v4.16b
	cnt	v24.16b, v24.16b
	cnt	v19.16b, v19.16b
	addp	v18.16b, v18.16b, v10.16b
	addp	v26.16b, v26.16b, v9.16b
	addp	v6.16b, v6.16b, v8.16b
	addp	v25.16b, v25.16b, v31.16b
	addp	v5.16b, v5.16b, v30.16b
	addp	v4.16b, v4.16b, v28.16b
	addp	v24.16b, v24.16b, v29.16b
	addp	v19.16b, v19.16b, v27.16b
	addp	v18.16b, v18.16b, v26.16b
	addp	v6.16b, v6.16b, v25.16b
	addp	v5.16b, v5.16b, v24.16b
	addp	v4.16b, v4.16b, v19.16b
	uadalp	v20.8h, v18.16b
	uadalp	v22.8h, v6.16b
	uadalp	v21.8h, v5.16b
	uadalp	v23.8h, v4.16b
	add	x10, x10, 192
	add	x12, x12, x20
	cmp	x10, x26
	bne	.L873
# LLVM-MCA-END
