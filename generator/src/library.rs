//! The hand-written SystemVerilog component library, compiled into the binary with
//! `include_str!` so an installed `mase-hw` needs no source checkout. One module per
//! file; file name == module name.

/// The names of every library module (reserved: no generated module may take one).
pub fn module_names() -> Vec<&'static str> {
    MODULES.iter().map(|(m, _)| *m).collect()
}

/// (module, source text) for every library module.
pub const MODULES: &[(&str, &str)] = &[
    (
        "mh_skid_buffer",
        include_str!("../../components/skid_buffer/mh_skid_buffer.sv"),
    ),
    ("mh_fifo", include_str!("../../components/fifo/mh_fifo.sv")),
    ("mh_fork", include_str!("../../components/fork/mh_fork.sv")),
    ("mh_join", include_str!("../../components/join/mh_join.sv")),
    (
        "mh_transpose",
        include_str!("../../components/transpose/mh_transpose.sv"),
    ),
    (
        "mh_resize",
        include_str!("../../components/resize/mh_resize.sv"),
    ),
    (
        "mh_link_tx",
        include_str!("../../components/link_tx/mh_link_tx.sv"),
    ),
    (
        "mh_link_rx",
        include_str!("../../components/link_rx/mh_link_rx.sv"),
    ),
    (
        "mh_link_model",
        include_str!("../../components/link_model/mh_link_model.sv"),
    ),
    ("mh_link", include_str!("../../components/link/mh_link.sv")),
    (
        "mh_link_mux",
        include_str!("../../components/link_mux/mh_link_mux.sv"),
    ),
    (
        "mh_link_demux",
        include_str!("../../components/link_demux/mh_link_demux.sv"),
    ),
    (
        "mh_link_vc",
        include_str!("../../components/link_vc/mh_link_vc.sv"),
    ),
    (
        "mh_weight_rom",
        include_str!("../../components/weight_rom/mh_weight_rom.sv"),
    ),
    (
        "mh_cast_lane",
        include_str!("../../components/cast/mh_cast_lane.sv"),
    ),
    ("mh_cast", include_str!("../../components/cast/mh_cast.sv")),
    (
        "mh_adder_tree",
        include_str!("../../components/adder_tree/mh_adder_tree.sv"),
    ),
    (
        "mh_dot_product",
        include_str!("../../components/dot_product/mh_dot_product.sv"),
    ),
    (
        "mh_accumulator",
        include_str!("../../components/accumulator/mh_accumulator.sv"),
    ),
    (
        "mh_pipelined_adder_tree",
        include_str!("../../components/common/mh_pipelined_adder_tree.sv"),
    ),
    (
        "mh_mac_lane",
        include_str!("../../components/common/mh_mac_lane.sv"),
    ),
    (
        "mh_credit_fifo",
        include_str!("../../components/common/mh_credit_fifo.sv"),
    ),
    (
        "mh_linear",
        include_str!("../../components/linear/mh_linear.sv"),
    ),
    (
        "mh_matmul",
        include_str!("../../components/matmul/mh_matmul.sv"),
    ),
    (
        "mh_layernorm",
        include_str!("../../components/layernorm/mh_layernorm.sv"),
    ),
    (
        "mh_softmax_recip",
        include_str!("../../components/softmax/mh_softmax_recip.sv"),
    ),
    (
        "mh_softmax",
        include_str!("../../components/softmax/mh_softmax.sv"),
    ),
    ("mh_relu", include_str!("../../components/relu/mh_relu.sv")),
    ("mh_gelu", include_str!("../../components/gelu/mh_gelu.sv")),
    ("mh_add", include_str!("../../components/add/mh_add.sv")),
    ("mh_mul", include_str!("../../components/mul/mh_mul.sv")),
];

/// Verilator configuration with the library's lint waivers (each with its reason).
pub const LINT_WAIVERS: &str = include_str!("../../components/lint.vlt");

/// The source of library module `module`. Every name a descriptor lists is in
/// [`MODULES`]; the registry test checks it.
pub fn source(module: &str) -> &'static str {
    MODULES
        .iter()
        .find(|(m, _)| *m == module)
        .map_or("", |(_, t)| t)
}
