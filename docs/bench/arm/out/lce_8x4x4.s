# lce_8x4x4: one iteration of LCE's kernel_8x4x4_aarch64.h (C % 128 == 0) accumulation loop (4096 binary MACs),
# re-expressed for llvm-mca from its instruction mix and dependencies (lce_loops.py); not LCE's code
# LLVM-MCA-BEGIN lce_8x4x4
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
	eor v12.16b, v16.16b, v23.16b
	eor v13.16b, v17.16b, v23.16b
	eor v14.16b, v18.16b, v23.16b
	eor v15.16b, v19.16b, v23.16b
	cnt v0.16b, v0.16b
	cnt v1.16b, v1.16b
	cnt v2.16b, v2.16b
	cnt v3.16b, v3.16b
	cnt v4.16b, v4.16b
	cnt v5.16b, v5.16b
	cnt v6.16b, v6.16b
	cnt v7.16b, v7.16b
	cnt v8.16b, v8.16b
	cnt v9.16b, v9.16b
	cnt v10.16b, v10.16b
	cnt v11.16b, v11.16b
	cnt v12.16b, v12.16b
	cnt v13.16b, v13.16b
	cnt v14.16b, v14.16b
	cnt v15.16b, v15.16b
	addp v0.16b, v0.16b, v4.16b
	addp v1.16b, v1.16b, v5.16b
	addp v2.16b, v2.16b, v6.16b
	addp v3.16b, v3.16b, v7.16b
	addp v8.16b, v8.16b, v12.16b
	addp v9.16b, v9.16b, v13.16b
	addp v10.16b, v10.16b, v14.16b
	addp v11.16b, v11.16b, v15.16b
	eor v4.16b, v16.16b, v24.16b
	eor v5.16b, v17.16b, v24.16b
	eor v6.16b, v18.16b, v24.16b
	eor v7.16b, v19.16b, v24.16b
	eor v12.16b, v16.16b, v25.16b
	eor v13.16b, v17.16b, v25.16b
	eor v14.16b, v18.16b, v25.16b
	eor v15.16b, v19.16b, v25.16b
	eor v20.16b, v16.16b, v26.16b
	eor v21.16b, v17.16b, v26.16b
	eor v22.16b, v18.16b, v26.16b
	eor v23.16b, v19.16b, v26.16b
	eor v24.16b, v16.16b, v27.16b
	eor v25.16b, v17.16b, v27.16b
	eor v26.16b, v18.16b, v27.16b
	eor v27.16b, v19.16b, v27.16b
	cnt v4.16b, v4.16b
	cnt v5.16b, v5.16b
	cnt v6.16b, v6.16b
	cnt v7.16b, v7.16b
	ld1 {v16.4s}, [x10], #16
	cnt v12.16b, v12.16b
	cnt v13.16b, v13.16b
	cnt v14.16b, v14.16b
	cnt v15.16b, v15.16b
	ld1 {v17.4s}, [x11], #16
	cnt v20.16b, v20.16b
	cnt v21.16b, v21.16b
	cnt v22.16b, v22.16b
	cnt v23.16b, v23.16b
	ld1 {v18.4s}, [x12], #16
	cnt v24.16b, v24.16b
	cnt v25.16b, v25.16b
	cnt v26.16b, v26.16b
	cnt v27.16b, v27.16b
	ld1 {v19.4s}, [x13], #16
	addp v4.16b, v4.16b, v12.16b
	addp v5.16b, v5.16b, v13.16b
	addp v6.16b, v6.16b, v14.16b
	addp v7.16b, v7.16b, v15.16b
	addp v12.16b, v20.16b, v24.16b
	addp v13.16b, v21.16b, v25.16b
	addp v14.16b, v22.16b, v26.16b
	addp v15.16b, v23.16b, v27.16b
	addp v0.16b, v0.16b, v8.16b
	addp v1.16b, v1.16b, v9.16b
	ldr q20, [x9, #0]
	addp v2.16b, v2.16b, v10.16b
	addp v3.16b, v3.16b, v11.16b
	ldr q21, [x9, #16]
	addp v4.16b, v4.16b, v12.16b
	addp v5.16b, v5.16b, v13.16b
	ldr q22, [x9, #32]
	addp v6.16b, v6.16b, v14.16b
	addp v7.16b, v7.16b, v15.16b
	ldr q23, [x9, #48]
	addp v0.16b, v0.16b, v4.16b
	addp v1.16b, v1.16b, v5.16b
	ldr q24, [x9, #64]
	addp v2.16b, v2.16b, v6.16b
	addp v3.16b, v3.16b, v7.16b
	ldr q25, [x9, #80]
	uadalp v28.8h, v0.16b
	uadalp v29.8h, v1.16b
	ldr q26, [x9, #96]
	uadalp v30.8h, v2.16b
	uadalp v31.8h, v3.16b
	ldr q27, [x9, #112]
	add x9, x9, #128
	b.gt .Lloop
# LLVM-MCA-END
