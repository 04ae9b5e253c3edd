# markbot-test: op=mark line=32 systems=x86_64-linux,aarch64-darwin want=changed
{
  lib,
  writeShellApplication,
  coreutils,
  curl,
  gnugrep,
  jq,
  nix,
}:

writeShellApplication {
  name = "nix-prefetch-release";

  runtimeInputs = [
    coreutils
    curl
    gnugrep
    jq
    nix
  ];

  text = ''
    repo="''${1:?usage: nix-prefetch-release OWNER/REPO}"
    tag="$(curl -fsSL "https://api.github.com/repos/$repo/releases/latest" | jq -r .tag_name)"
    url="https://github.com/$repo/archive/refs/tags/$tag.tar.gz"
    echo "tag: $tag"
    nix-prefetch-url --unpack "$url" | grep -v '^path'
  '';

  meta = {
    description = "Prefetch the newest GitHub release of a repository";
    license = lib.licenses.mit;
    maintainers = with lib.maintainers; [ ];
    mainProgram = "nix-prefetch-release";
    platforms = lib.platforms.unix;
  };
}
