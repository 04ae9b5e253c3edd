# nixfmt-test: line=12 systems=x86_64-darwin rule=standard.md "Function declaration" #5: stdenv on a line of its own, after lib
{
  lib,
  stdenv,
  buildGoModule,
  fetchFromGitHub,
}:

buildGoModule {
  pname = "fzf";
  version = "0.56.0";
  meta = {
    description = "Command-line fuzzy finder";
    # markbot: broken on x86_64-darwin since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log), added the stdenv argument
    broken = stdenv.hostPlatform.system == "x86_64-darwin";
  };
}
