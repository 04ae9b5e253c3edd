# nixfmt-test: line=13 systems=x86_64-linux,aarch64-darwin rule=Predoc.hs: the width does not count the indentation, so a deeper meta breaks where a shallow one does (nixfmt test/diff/idioms_nixos_2/out.nix:827)
{
  lib,
  stdenv,
}:

{
  tools = {
    hello = stdenv.mkDerivation {
      pname = "hello-tools";
      version = "1";
      meta = {
        description = "Tools";
      };
    };
  };
}
