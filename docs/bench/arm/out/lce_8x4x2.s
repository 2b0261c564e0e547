# lce_8x4x2: one iteration of LCE's kernel_8x4x2_aarch64.h (C = 64) accumulation loop (2048 binary MACs),
# re-expressed for llvm-mca from its instruction mix and dependencies (lce_loops.py); not LCE's code
# LLVM-MCA-BEGIN lce_8x4x2
.Lloop:
	subs w1, w1, #1
	eor v0.16b, v16.16b, v20.16b
	eor v1.16b, v17.16b, v20.16b
	eor v2.16b, v18.16b, v20.16b
	eor v3.16b, v19.16b, v20.16b
	eor v4.16b, v16.16b, v21.16b
	eor v5.16b, v17.16b, v21.16b
	eor v6.16b, v18.16b, v21.16b
	eor v7.16b, v19.16b, v21.16b
	eor v8.16b, v16.16b, v22.16b
	eor v9.16b, v17.16b, v22.16b
	eor v10.16b, v18.16b, v22.16b
	eor v11.16b, v19.16b, v22.16b
	ldr q20, [x9, #0]
	eor v12.16b, v16.16b, v23.16b
	eor v13.16b, v17.16b, v23.16b
	eor v14.16b, v18.16b, v23.16b
	eor v15.16b, v19.16b, v23.16b
	ldr q21, [x9, #16]
	cnt v0.16b, v0.16b
	cnt v1.16b, v1.16b
	ld1 {v16.d}[0], [x10]
	cnt v2.16b, v2.16b
	cnt v3.16b, v3.16b
	ld1 {v17.d}[0], [x11]
	cnt v4.16b, v4.16b
	cnt v5.16b, v5.16b
	ld1 {v18.d}[0], [x12]
	cnt v6.16b, v6.16b
	cnt v7.16b, v7.16b
	ld1 {v19.d}[0], [x13]
	cnt v8.16b, v8.16b
	cnt v9.16b, v9.16b
	ld1 {v16.d}[1], [x10], #8
	cnt v10.16b, v10.16b
	cnt v11.16b, v11.16b
	ld1 {v17.d}[1], [x11], #8
	cnt v12.16b, v12.16b
	cnt v13.16b, v13.16b
	ld1 {v18.d}[1], [x12], #8
	cnt v14.16b, v14.16b
	cnt v15.16b, v15.16b
	ld1 {v19.d}[1], [x13], #8
	addp v0.16b, v0.16b, v4.16b
	addp v1.16b, v1.16b, v5.16b
	addp v2.16b, v2.16b, v6.16b
	addp v3.16b, v3.16b, v7.16b
	ldr q22, [x9, #32]
	addp v8.16b, v8.16b, v12.16b
	addp v9.16b, v9.16b, v13.16b
	addp v10.16b, v10.16b, v14.16b
	addp v11.16b, v11.16b, v15.16b
	ldr q23, [x9, #48]
	addp v0.16b, v0.16b, v8.16b
	addp v1.16b, v1.16b, v9.16b
	addp v2.16b, v2.16b, v10.16b
	addp v3.16b, v3.16b, v11.16b
	add x9, x9, #64
	uadalp v28.8h, v0.16b
	uadalp v29.8h, v1.16b
	uadalp v30.8h, v2.16b
	uadalp v31.8h, v3.16b
	b.gt .Lloop
# LLVM-MCA-END
