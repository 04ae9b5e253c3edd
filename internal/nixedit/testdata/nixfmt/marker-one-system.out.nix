# nixfmt-test: line=18 systems=aarch64-linux rule=standard.md "Bindings" #1 (a condition that fits)
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
    # markbot: broken on aarch64-linux since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
    broken = stdenv.hostPlatform.system == "aarch64-linux";
  };
})
