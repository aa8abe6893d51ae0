`default_nettype none

// mh_transpose: swaps the two outer axes of a stream of 3-axis tensors.
//
// Each tensor arrives as [A_SIZE][B_SIZE][C_SIZE] elements in row-major order,
// PARALLELISM consecutive elements of the innermost axis per beat, and leaves
// as [B_SIZE][A_SIZE][C_SIZE] (out[b][a][c] = in[a][b][c]). Tensors follow
// each other back to back. Lanes are raw bits: nothing is interpreted.
//
// Double buffered: one simple-dual-port memory of 2*T beats (T = A_SIZE *
// B_SIZE * C_SIZE / PARALLELISM), bank 0 at addresses 0..T-1, bank 1 at
// T..2T-1. Input beats are written in arrival order into the bank being
// filled; once a bank is completely written it is read in output order
// (counters b, a, c; address bank*T + (a*B_SIZE + b)*C_BEATS + c, formed by
// adders only) while the next tensor fills the other bank. The memory has no
// reset and one registered read port whose register, loaded only when a beat
// is read, is the output register (as in mh_fifo), so it infers block RAM and
// output backpressure stalls the read without losing beats.
//
// Does not: validate parameters (C_SIZE must be a multiple of PARALLELISM),
// start reading a bank before it is complete, flush, or bypass the memory.
//
// Registered: `data_in_ready` is a function of registers only (the bank being
// filled is empty), `data_out_valid` and `data_out` come from registers. No
// combinational path from `data_out_ready` to `data_in_ready`, nor from
// `data_in_valid`/`data_in` to any output (`data_out_ready` drives the
// internal read enable only).
// Latency T + 1 cycles from the first beat of a tensor to its first output
// beat with no stalls: the last input beat is written on edge T-1, the bank
// is read on edge T and the beat leaves on edge T+1.
// II 1 in and out, sustained across tensors: a bank's last read and the next
// write into it fall on consecutive edges, so no bubbles in steady state.
// Reset clears counters, bank states and the valid bit; the memory and the
// output data register are not reset. `data_in_ready` is high during and
// right after reset (drive `data_in_valid` low while `rst` is high).

module mh_transpose #(
  parameter int WIDTH       = 16,  // lane width, bits (>= 1)
  parameter int PARALLELISM = 4,   // lanes per beat (divides C_SIZE)
  parameter int A_SIZE      = 2,   // outer axis of the input tensor, elements (>= 1)
  parameter int B_SIZE      = 2,   // middle axis of the input tensor, elements (>= 1)
  parameter int C_SIZE      = 4    // innermost axis, elements (multiple of PARALLELISM)
) (
  input  logic                               clk,
  input  logic                               rst,

  input  logic [PARALLELISM-1:0][WIDTH-1:0]  data_in,
  input  logic                               data_in_valid,
  output logic                               data_in_ready,

  output logic [PARALLELISM-1:0][WIDTH-1:0]  data_out,
  output logic                               data_out_valid,
  input  logic                               data_out_ready
);

  // Beats per row of the innermost axis.
  localparam int C_BEATS = C_SIZE / PARALLELISM;
  // Beats per tensor (one bank).
  localparam int T_BEATS = A_SIZE * B_SIZE * C_BEATS;
  // Memory entries: two banks.
  localparam int DEPTH = 2 * T_BEATS;
  // Memory address width.
  localparam int ADDR_WIDTH = $clog2(DEPTH);
  // Counter widths of the three read axes.
  localparam int CW = (C_BEATS > 1) ? $clog2(C_BEATS) : 1;
  localparam int AW = (A_SIZE > 1) ? $clog2(A_SIZE) : 1;
  localparam int BW = (B_SIZE > 1) ? $clog2(B_SIZE) : 1;
  // Last values of the read counters.
  localparam logic [CW-1:0] C_LAST = CW'(C_BEATS - 1);
  localparam logic [AW-1:0] A_LAST = AW'(A_SIZE - 1);
  localparam logic [BW-1:0] B_LAST = BW'(B_SIZE - 1);
  // Address steps: next a (same b), next b, and the base of bank 1.
  localparam logic [ADDR_WIDTH-1:0] A_STEP = ADDR_WIDTH'(B_SIZE * C_BEATS);
  localparam logic [ADDR_WIDTH-1:0] B_STEP = ADDR_WIDTH'(C_BEATS);
  localparam logic [ADDR_WIDTH-1:0] BANK1_BASE = ADDR_WIDTH'(T_BEATS);
  // Last write address of each bank.
  localparam logic [ADDR_WIDTH-1:0] LAST0 = ADDR_WIDTH'(T_BEATS - 1);
  localparam logic [ADDR_WIDTH-1:0] LAST1 = ADDR_WIDTH'(DEPTH - 1);

  logic [PARALLELISM-1:0][WIDTH-1:0] mem [DEPTH];  // both banks, not reset

  logic [1:0]            bank_full_q;  // bank completely written and not yet completely read
  logic                  wr_bank_q;    // bank being filled
  logic [ADDR_WIDTH-1:0] wr_addr_q;    // next write address (arrival order)
  logic                  rd_bank_q;    // bank being read
  logic [ADDR_WIDTH-1:0] rd_addr_q;    // next read address
  logic [ADDR_WIDTH-1:0] row_base_q;   // address of (a, b, 0) in the bank being read
  logic [ADDR_WIDTH-1:0] col_base_q;   // address of (0, b, 0) in the bank being read
  logic [CW-1:0]         c_cnt_q;      // read position, innermost axis (beats)
  logic [AW-1:0]         a_cnt_q;      // read position, input outer axis
  logic [BW-1:0]         b_cnt_q;      // read position, input middle axis
  logic [PARALLELISM-1:0][WIDTH-1:0] out_data_q;  // registered read, not reset
  logic                  out_valid_q;  // out_data holds a beat

  logic                  push;       // a beat is written this edge
  logic                  pop;        // a beat is read into out_data this edge
  logic                  wr_done;    // this push completes the bank being filled
  logic                  rd_done;    // this pop completes the bank being read
  logic [ADDR_WIDTH-1:0] next_bank_base;  // base of the other bank

  assign push    = data_in_valid && !bank_full_q[wr_bank_q];
  assign pop     = bank_full_q[rd_bank_q] && (!out_valid_q || data_out_ready);
  assign wr_done = push && (wr_addr_q == (wr_bank_q ? LAST1 : LAST0));
  assign rd_done = pop && (c_cnt_q == C_LAST) && (a_cnt_q == A_LAST) && (b_cnt_q == B_LAST);
  assign next_bank_base = rd_bank_q ? '0 : BANK1_BASE;

  // Write side and bank states (reset).
  always_ff @(posedge clk) begin
    if (rst) begin
      bank_full_q <= 2'b00;
      wr_bank_q   <= 1'b0;
      wr_addr_q   <= '0;
    end else begin
      if (push) begin
        wr_addr_q <= (wr_addr_q == LAST1) ? '0 : wr_addr_q + 1'b1;
      end
      if (wr_done) begin
        wr_bank_q              <= !wr_bank_q;
        bank_full_q[wr_bank_q] <= 1'b1;
      end
      // A bank is read only while full and written only while not full, so
      // wr_done and rd_done never name the same bank.
      if (rd_done) begin
        bank_full_q[rd_bank_q] <= 1'b0;
      end
    end
  end

  // Read side (reset): counters b (outer), a, c (inner) and their addresses.
  always_ff @(posedge clk) begin
    if (rst) begin
      rd_bank_q   <= 1'b0;
      rd_addr_q   <= '0;
      row_base_q  <= '0;
      col_base_q  <= '0;
      c_cnt_q     <= '0;
      a_cnt_q     <= '0;
      b_cnt_q     <= '0;
      out_valid_q <= 1'b0;
    end else begin
      if (pop) begin
        if (c_cnt_q != C_LAST) begin
          c_cnt_q   <= c_cnt_q + 1'b1;
          rd_addr_q <= rd_addr_q + 1'b1;
        end else begin
          c_cnt_q <= '0;
          if (a_cnt_q != A_LAST) begin
            a_cnt_q    <= a_cnt_q + 1'b1;
            row_base_q <= row_base_q + A_STEP;
            rd_addr_q  <= row_base_q + A_STEP;
          end else begin
            a_cnt_q <= '0;
            if (b_cnt_q != B_LAST) begin
              b_cnt_q    <= b_cnt_q + 1'b1;
              col_base_q <= col_base_q + B_STEP;
              row_base_q <= col_base_q + B_STEP;
              rd_addr_q  <= col_base_q + B_STEP;
            end else begin
              b_cnt_q    <= '0;
              rd_bank_q  <= !rd_bank_q;
              col_base_q <= next_bank_base;
              row_base_q <= next_bank_base;
              rd_addr_q  <= next_bank_base;
            end
          end
        end
        out_valid_q <= 1'b1;
      end else if (data_out_ready) begin
        out_valid_q <= 1'b0;
      end
    end
  end

  // Memory write port.
  always_ff @(posedge clk) begin
    if (push) begin
      mem[wr_addr_q] <= data_in;
    end
  end

  // Memory read port, registered, with read enable.
  always_ff @(posedge clk) begin
    if (pop) begin
      out_data_q <= mem[rd_addr_q];
    end
  end

  assign data_in_ready  = !bank_full_q[wr_bank_q];
  assign data_out       = out_data_q;
  assign data_out_valid = out_valid_q;

endmodule

`resetall
