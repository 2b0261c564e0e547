# steady-state inner loop of acc_in_taps.constprop.0 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L5052)
# LLVM-MCA-BEGIN acc_in_taps
.L5052:
	ldp	q4, q6, [x8]
	ld1 {v3.d}[0], [x1]
	ld1 {v3.d}[1], [x1], #8
	ldp	q5, q10, [x8, 32]
	ld1 {v2.d}[0], [x2]
	ld1 {v2.d}[1], [x2], #8
	ld1 {v1.d}[0], [x3]
	ld1 {v1.d}[1], [x3], #8
	ld1 {v0.d}[0], [x0]
	ld1 {v0.d}[1], [x0], #8
	eor	v17.16b, v3.16b, v4.16b
	eor	v9.16b, v3.16b, v6.16b
	eor	v16.16b, v3.16b, v5.16b
	eor	v13.16b, v3.16b, v10.16b
	eor	v15.16b, v2.16b, v4.16b
	eor	v8.16b, v2.16b, v6.16b
	eor	v14.16b, v2.16b, v5.16b
	eor	v12.16b, v2.16b, v10.16b
	eor	v7.16b, v1.16b, v4.16b
	eor	v30.16b, v1.16b, v6.16b
	eor	v11.16b, v1.16b, v5.16b
	eor	v31.16b, v1.16b, v10.16b
	eor	v4.16b, v0.16b, v4.16b
	eor	v6.16b, v0.16b, v6.16b
	eor	v5.16b, v0.16b, v5.16b
	eor	v10.16b, v0.16b, v10.16b
	cnt	v17.16b, v17.16b
	cnt	v16.16b, v16.16b
	cnt	v15.16b, v15.16b
	cnt	v14.16b, v14.16b
	cnt	v30.16b, v30.16b
	cnt	v6.16b, v6.16b
	cnt	v31.16b, v31.16b
	cnt	v10.16b, v10.16b
	cnt	v9.16b, v9.16b
	cnt	v13.16b, v13.16b
	cnt	v8.16b, v8.16b
	cnt	v12.16b, v12.16b
	cnt	v7.16b, v7.16b
	cnt	v4.16b, v4.16b
	cnt	v11.16b, v11.16b
	cnt	v5.16b, v5.16b
	addp	v9.16b, v17.16b, v9.16b
	addp	v13.16b, v16.16b, v13.16b
	addp	v8.16b, v15.16b, v8.16b
	addp	v12.16b, v14.16b, v12.16b
	addp	v7.16b, v7.16b, v30.16b
	addp	v4.16b, v4.16b, v6.16b
	addp	v11.16b, v11.16b, v31.16b
	addp	v5.16b, v5.16b, v10.16b
	addp	v9.16b, v9.16b, v13.16b
	addp	v8.16b, v8.16b, v12.16b
	addp	v7.16b, v7.16b, v11.16b
	addp	v4.16b, v4.16b, v5.16b
	uadalp	v18.8h, v9.16b
	uadalp	v29.8h, v8.16b
	uadalp	v20.8h, v7.16b
	uadalp	v19.8h, v4.16b
	ldp	q4, q7, [x8, 64]
	ld1 {v3.d}[0], [x1]
	ld1 {v3.d}[1], [x1], #8
	ldp	q5, q6, [x8, 96]
	ld1 {v2.d}[0], [x2]
	ld1 {v2.d}[1], [x2], #8
	ld1 {v1.d}[0], [x3]
	ld1 {v1.d}[1], [x3], #8
	ld1 {v0.d}[0], [x0]
	ld1 {v0.d}[1], [x0], #8
	eor	v13.16b, v3.16b, v4.16b
	eor	v30.16b, v3.16b, v7.16b
	eor	v12.16b, v3.16b, v5.16b
	eor	v9.16b, v3.16b, v6.16b
	eor	v11.16b, v2.16b, v4.16b
	eor	v17.16b, v2.16b, v7.16b
	eor	v10.16b, v2.16b, v5.16b
	eor	v8.16b, v2.16b, v6.16b
	eor	v16.16b, v1.16b, v4.16b
	eor	v14.16b, v1.16b, v7.16b
	eor	v31.16b, v1.16b, v5.16b
	eor	v15.16b, v1.16b, v6.16b
	eor	v4.16b, v0.16b, v4.16b
	eor	v7.16b, v0.16b, v7.16b
	eor	v5.16b, v0.16b, v5.16b
	eor	v6.16b, v0.16b, v6.16b
	cnt	v13.16b, v13.16b
	cnt	v12.16b, v12.16b
	cnt	v11.16b, v11.16b
	cnt	v10.16b, v10.16b
	cnt	v14.16b, v14.16b
	cnt	v7.16b, v7.16b
	cnt	v15.16b, v15.16b
	cnt	v6.16b, v6.16b
	cnt	v30.16b, v30.16b
	cnt	v9.16b, v9.16b
	cnt	v17.16b, v17.16b
	cnt	v8.16b, v8.16b
	cnt	v16.16b, v16.16b
	cnt	v4.16b, v4.16b
	cnt	v31.16b, v31.16b
	cnt	v5.16b, v5.16b
	addp	v30.16b, v13.16b, v30.16b
	addp	v9.16b, v12.16b, v9.16b
	addp	v17.16b, v11.16b, v17.16b
	addp	v8.16b, v10.16b, v8.16b
	addp	v16.16b, v16.16b, v14.16b
	addp	v4.16b, v4.16b, v7.16b
	addp	v31.16b, v31.16b, v15.16b
	addp	v5.16b, v5.16b, v6.16b
	addp	v30.16b, v30.16b, v9.16b
	addp	v17.16b, v17.16b, v8.16b
	addp	v16.16b, v16.16b, v31.16b
	addp	v4.16b, v4.16b, v5.16b
	uadalp	v18.8h, v30.16b
	uadalp	v29.8h, v17.16b
	uadalp	v20.8h, v16.16b
	uadalp	v19.8h, v4.16b
	add	x12, x12, 2
	add	x8, x8, 128
	cmp	x15, x12
	bcs	.L5052
# LLVM-MCA-END
