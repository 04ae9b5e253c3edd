# nixfmt-test: line=15 systems=x86_64-linux rule=Pretty.hs prettyOp: a || chain is flattened, so COND is one more operand line of an expanded chain
{
  lib,
  stdenv,
  enableGui ? true,
  withWayland ? false,
  withX11 ? true,
  x11 ? true,
}:

stdenv.mkDerivation {
  pname = "eza-ish";
  version = "0.20.0";
  meta = {
    description = "Modern replacement for ls";
    broken =
      stdenv.hostPlatform.isDarwin && stdenv.hostPlatform.isx86_64
      || stdenv.hostPlatform.system == "aarch64-darwin";
  };
}
