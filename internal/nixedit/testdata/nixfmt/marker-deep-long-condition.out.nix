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
        # markbot: broken on x86_64-linux, aarch64-darwin since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
        broken =
          stdenv.hostPlatform.system == "x86_64-linux" || stdenv.hostPlatform.system == "aarch64-darwin";
      };
    };
  };
}
