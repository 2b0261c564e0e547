# WHAT-IF, not bnncc's code: ours_acc_row24.s with every LD1R {v.2d} replaced by LD1 {v.d}[0] + LD1 {v.d}[1] post-increment (mca.py)
# steady-state inner loop of acc_row24 in runtime_c/src/bconv_neon.c, cut from bconv_neon.aarch64.s (label .L228)
# LLVM-MCA-BEGIN whatif_row24_lane_loads
.L228:
	mov	x13, x14
	ld1	{v23.d}[0], [x3]
	ld1	{v23.d}[1], [x3], 8
	ldp	q3, q25, [x4]
	ld1	{v19.d}[0], [x13]
	ld1	{v19.d}[1], [x13], 8
	mov	x14, x13
	ld1	{v21.d}[0], [x2]
	ld1	{v21.d}[1], [x2], 8
	ldp	q1, q24, [x4, 32]
	ld1	{v17.d}[0], [x0]
	ld1	{v17.d}[1], [x0], 8
	add	x4, x4, 64
	ld1	{v14.d}[0], [x3]
	ld1	{v14.d}[1], [x3], 8
	ld1	{v8.d}[0], [x2]
	ld1	{v8.d}[1], [x2], 8
	eor	v31.16b, v23.16b, v3.16b
	ld1	{v7.d}[0], [x14]
	ld1	{v7.d}[1], [x14], 8
	eor	v30.16b, v21.16b, v3.16b
	ld1	{v5.d}[0], [x0]
	ld1	{v5.d}[1], [x0], 8
	eor	v28.16b, v19.16b, v3.16b
	eor	v27.16b, v14.16b, v1.16b
	eor	v26.16b, v8.16b, v1.16b
	eor	v23.16b, v23.16b, v25.16b
	eor	v21.16b, v21.16b, v25.16b
	eor	v19.16b, v19.16b, v25.16b
	eor	v3.16b, v17.16b, v3.16b
	eor	v14.16b, v14.16b, v24.16b
	eor	v17.16b, v17.16b, v25.16b
	eor	v8.16b, v8.16b, v24.16b
	eor	v25.16b, v7.16b, v1.16b
	eor	v1.16b, v5.16b, v1.16b
	eor	v7.16b, v7.16b, v24.16b
	eor	v5.16b, v5.16b, v24.16b
	cnt	v31.16b, v31.16b
	cnt	v23.16b, v23.16b
	cnt	v30.16b, v30.16b
	cnt	v21.16b, v21.16b
	cnt	v28.16b, v28.16b
	cnt	v19.16b, v19.16b
	cnt	v3.16b, v3.16b
	cnt	v17.16b, v17.16b
	cnt	v27.16b, v27.16b
	cnt	v14.16b, v14.16b
	cnt	v26.16b, v26.16b
	cnt	v8.16b, v8.16b
	cnt	v25.16b, v25.16b
	cnt	v7.16b, v7.16b
	cnt	v1.16b, v1.16b
	cnt	v5.16b, v5.16b
	add	v22.16b, v31.16b, v22.16b
	add	v20.16b, v23.16b, v20.16b
	add	v18.16b, v30.16b, v18.16b
	add	v16.16b, v21.16b, v16.16b
	add	v6.16b, v28.16b, v6.16b
	add	v4.16b, v19.16b, v4.16b
	add	v2.16b, v3.16b, v2.16b
	add	v0.16b, v17.16b, v0.16b
	add	v22.16b, v27.16b, v22.16b
	add	v20.16b, v14.16b, v20.16b
	add	v18.16b, v26.16b, v18.16b
	add	v16.16b, v8.16b, v16.16b
	add	v6.16b, v25.16b, v6.16b
	add	v4.16b, v7.16b, v4.16b
	add	v2.16b, v1.16b, v2.16b
	add	v0.16b, v5.16b, v0.16b
	cmp	x4, x5
	bne	.L228
# LLVM-MCA-END
