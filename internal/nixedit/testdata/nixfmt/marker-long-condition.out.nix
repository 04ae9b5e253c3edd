# nixfmt-test: line=18 systems=x86_64-linux,aarch64-darwin rule=standard.md "Bindings" #2 (the value fits on a line of its own, one level deeper); nixfmt test/diff/idioms_lib_5/out.nix allowBroken; Predoc.hs width 100 without the indentation
{
  lib,
  stdenv,
  fetchurl,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "hello";
  version = "2.12.1";

  src = fetchurl {
    url = "mirror://gnu/hello/hello-${finalAttrs.version}.tar.gz";
    hash = "sha256-jZkUKv2SV28wsM18tCqNxoCZmLxdYH2Idh9RLibH2yA=";
  };

  meta = {
    description = "Program that produces a familiar, friendly greeting";
    license = lib.licenses.gpl3Plus;
    platforms = lib.platforms.all;
    # markbot: broken on x86_64-linux, aarch64-darwin since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
    broken =
      stdenv.hostPlatform.system == "x86_64-linux" || stdenv.hostPlatform.system == "aarch64-darwin";
  };
})
