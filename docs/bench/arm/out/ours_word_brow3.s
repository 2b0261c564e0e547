# steady-state inner loop of word_brow3 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L1452)
# LLVM-MCA-BEGIN word_brow3
.L1452:
	ldp	q12, q3, [x6]
	ldp	q6, q5, [x6, 32]
	ldr	x0, [x13, 24]
	ld1 {v4.d}[0], [x0]
	ld1 {v4.d}[1], [x0], #8
	eor	v7.16b, v4.16b, v12.16b
	eor	v22.16b, v4.16b, v3.16b
	eor	v16.16b, v4.16b, v6.16b
	eor	v21.16b, v4.16b, v5.16b
	ldr	x1, [x13]
	ld1 {v2.d}[0], [x1]
	ld1 {v2.d}[1], [x1], #8
	ldr	x25, [x13, 48]
	ld1 {v1.d}[0], [x25]
	ld1 {v1.d}[1], [x25], #8
	ldr	x21, [x13, 72]
	ld1 {v0.d}[0], [x21]
	ld1 {v0.d}[1], [x21], #8
	eor	v8.16b, v2.16b, v12.16b
	eor	v15.16b, v0.16b, v12.16b
	eor	v24.16b, v2.16b, v3.16b
	eor	v17.16b, v2.16b, v6.16b
	eor	v23.16b, v2.16b, v5.16b
	eor	v25.16b, v1.16b, v12.16b
	eor	v20.16b, v1.16b, v3.16b
	eor	v18.16b, v1.16b, v6.16b
	eor	v19.16b, v1.16b, v5.16b
	eor	v12.16b, v0.16b, v3.16b
	eor	v14.16b, v0.16b, v5.16b
	eor	v3.16b, v0.16b, v6.16b
	cnt	v22.16b, v22.16b
	cnt	v21.16b, v21.16b
	cnt	v7.16b, v7.16b
	cnt	v16.16b, v16.16b
	cnt	v24.16b, v24.16b
	cnt	v23.16b, v23.16b
	cnt	v6.16b, v25.16b
	cnt	v20.16b, v20.16b
	cnt	v18.16b, v18.16b
	cnt	v19.16b, v19.16b
	cnt	v5.16b, v15.16b
	cnt	v12.16b, v12.16b
	cnt	v14.16b, v14.16b
	addp	v7.16b, v7.16b, v22.16b
	addp	v16.16b, v16.16b, v21.16b
	cnt	v8.16b, v8.16b
	cnt	v17.16b, v17.16b
	cnt	v3.16b, v3.16b
	addp	v6.16b, v6.16b, v20.16b
	addp	v8.16b, v8.16b, v24.16b
	addp	v17.16b, v17.16b, v23.16b
	addp	v15.16b, v18.16b, v19.16b
	addp	v5.16b, v5.16b, v12.16b
	addp	v3.16b, v3.16b, v14.16b
	addp	v7.16b, v7.16b, v16.16b
	addp	v8.16b, v8.16b, v17.16b
	addp	v6.16b, v6.16b, v15.16b
	addp	v5.16b, v5.16b, v3.16b
	uadalp	v9.8h, v7.16b
	uadalp	v13.8h, v8.16b
	uadalp	v10.8h, v6.16b
	uadalp	v11.8h, v5.16b
	mov	v12.16b, v9.16b
	ldp	q8, q5, [x6, 64]
	ld1 {v2.d}[0], [x1]
	ld1 {v2.d}[1], [x1], #8
	ldp	q3, q15, [x6, 96]
	ld1 {v4.d}[0], [x0]
	ld1 {v4.d}[1], [x0], #8
	ld1 {v1.d}[0], [x25]
	ld1 {v1.d}[1], [x25], #8
	ld1 {v0.d}[0], [x21]
	ld1 {v0.d}[1], [x21], #8
	eor	v7.16b, v2.16b, v8.16b
	eor	v14.16b, v0.16b, v8.16b
	eor	v24.16b, v2.16b, v5.16b
	eor	v26.16b, v2.16b, v3.16b
	eor	v23.16b, v2.16b, v15.16b
	eor	v6.16b, v4.16b, v8.16b
	eor	v22.16b, v4.16b, v5.16b
	eor	v18.16b, v4.16b, v3.16b
	eor	v21.16b, v4.16b, v15.16b
	eor	v25.16b, v1.16b, v8.16b
	eor	v20.16b, v1.16b, v5.16b
	eor	v9.16b, v0.16b, v5.16b
	eor	v17.16b, v1.16b, v3.16b
	eor	v8.16b, v0.16b, v3.16b
	eor	v19.16b, v1.16b, v15.16b
	eor	v16.16b, v0.16b, v15.16b
	cnt	v24.16b, v24.16b
	cnt	v15.16b, v26.16b
	cnt	v23.16b, v23.16b
	cnt	v22.16b, v22.16b
	cnt	v18.16b, v18.16b
	cnt	v21.16b, v21.16b
	cnt	v5.16b, v25.16b
	cnt	v3.16b, v14.16b
	cnt	v20.16b, v20.16b
	cnt	v9.16b, v9.16b
	cnt	v17.16b, v17.16b
	cnt	v19.16b, v19.16b
	cnt	v16.16b, v16.16b
	cnt	v7.16b, v7.16b
	cnt	v6.16b, v6.16b
	cnt	v8.16b, v8.16b
	addp	v15.16b, v15.16b, v23.16b
	addp	v7.16b, v7.16b, v24.16b
	addp	v6.16b, v6.16b, v22.16b
	addp	v8.16b, v8.16b, v16.16b
	addp	v14.16b, v18.16b, v21.16b
	addp	v5.16b, v5.16b, v20.16b
	addp	v3.16b, v3.16b, v9.16b
	addp	v9.16b, v17.16b, v19.16b
	addp	v7.16b, v7.16b, v15.16b
	addp	v6.16b, v6.16b, v14.16b
	addp	v3.16b, v3.16b, v8.16b
	addp	v5.16b, v5.16b, v9.16b
	mov	v8.16b, v13.16b
	mov	v9.16b, v12.16b
	uadalp	v11.8h, v3.16b
	uadalp	v10.8h, v5.16b
	uadalp	v8.8h, v7.16b
	uadalp	v9.8h, v6.16b
	ldp	q5, q13, [x6, 128]
	ld1 {v2.d}[0], [x1]
	ld1 {v2.d}[1], [x1], #8
	ldp	q12, q6, [x6, 160]
	ld1 {v4.d}[0], [x0]
	ld1 {v4.d}[1], [x0], #8
	eor	v3.16b, v2.16b, v5.16b
	eor	v23.16b, v2.16b, v13.16b
	eor	v15.16b, v2.16b, v12.16b
	eor	v22.16b, v2.16b, v6.16b
	ld1 {v1.d}[0], [x25]
	ld1 {v1.d}[1], [x25], #8
	ld1 {v0.d}[0], [x21]
	ld1 {v0.d}[1], [x21], #8
	eor	v17.16b, v1.16b, v5.16b
	eor	v7.16b, v4.16b, v5.16b
	eor	v21.16b, v4.16b, v13.16b
	eor	v14.16b, v4.16b, v12.16b
	eor	v20.16b, v4.16b, v6.16b
	eor	v19.16b, v1.16b, v13.16b
	eor	v24.16b, v1.16b, v12.16b
	eor	v13.16b, v0.16b, v13.16b
	eor	v18.16b, v1.16b, v6.16b
	eor	v16.16b, v0.16b, v6.16b
	eor	v5.16b, v0.16b, v5.16b
	eor	v12.16b, v0.16b, v12.16b
	cnt	v23.16b, v23.16b
	cnt	v22.16b, v22.16b
	cnt	v3.16b, v3.16b
	cnt	v15.16b, v15.16b
	cnt	v21.16b, v21.16b
	cnt	v20.16b, v20.16b
	cnt	v6.16b, v17.16b
	cnt	v19.16b, v19.16b
	cnt	v17.16b, v13.16b
	cnt	v18.16b, v18.16b
	cnt	v13.16b, v24.16b
	cnt	v16.16b, v16.16b
	addp	v3.16b, v3.16b, v23.16b
	addp	v15.16b, v15.16b, v22.16b
	cnt	v7.16b, v7.16b
	cnt	v14.16b, v14.16b
	cnt	v5.16b, v5.16b
	cnt	v12.16b, v12.16b
	addp	v13.16b, v13.16b, v18.16b
	addp	v7.16b, v7.16b, v21.16b
	addp	v14.16b, v14.16b, v20.16b
	addp	v6.16b, v6.16b, v19.16b
	addp	v5.16b, v5.16b, v17.16b
	addp	v12.16b, v12.16b, v16.16b
	addp	v3.16b, v3.16b, v15.16b
	addp	v6.16b, v6.16b, v13.16b
	addp	v7.16b, v7.16b, v14.16b
	addp	v5.16b, v5.16b, v12.16b
	uadalp	v8.8h, v3.16b
	uadalp	v10.8h, v6.16b
	uadalp	v9.8h, v7.16b
	uadalp	v11.8h, v5.16b
	mov	v13.16b, v8.16b
	add	x6, x6, 192
	add	x13, x13, 8
	cmp	x6, x30
	bne	.L1452
# LLVM-MCA-END
