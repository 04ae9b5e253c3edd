# markbot-test: op=unmark line=27 want=changed
{
  lib,
  fetchFromGitHub,
  neovim-unwrapped,
}:

neovim-unwrapped.overrideAttrs (old: {
  pname = "neovim-nightly-lite";
  version = "0.12.0-unstable-2025-07-10";

  src = fetchFromGitHub {
    owner = "neovim";
    repo = "neovim";
    rev = "4d3a38ac074fc0c6ed2f1d1bfb71c4a6d0a1ac49";
    hash = "sha256-clmPrRJ40EZvWewFE7Zb6R5C6s5XSVfB3MD5MqM0zQM=";
  };

  patches = [ ];

  postPatch = (old.postPatch or "") + ''
    # the nightly tarball has no version file
    echo 'set(NVIM_VERSION_PRERELEASE "-dev-nix")' >> cmake.config/versiondef.h.in
  '';

  meta = old.meta // {
    description = "Vim text editor fork focused on extensibility and agility (nightly)";
    maintainers = with lib.maintainers; [ ];
    # markbot: broken since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
    broken = true;
  };
})
