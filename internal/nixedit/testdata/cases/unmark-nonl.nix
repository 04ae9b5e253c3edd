# markbot-test: op=unmark line=35 want=changed
{
  lib,
  stdenvNoCC,
  fetchFromGitHub,
}:

stdenvNoCC.mkDerivation (finalAttrs: {
  pname = "monaspace-lite";
  version = "1.200";

  src = fetchFromGitHub {
    owner = "githubnext";
    repo = "monaspace";
    tag = "v${finalAttrs.version}";
    hash = "sha256-zf5EEq8iZDUpWnPQ9VIgU2DuXialsFaBS+ACptm3c1I=";
  };

  outputs = [
    "out"
    "woff"
  ];

  installPhase = ''
    runHook preInstall

    install -Dm644 fonts/otf/*.otf -t $out/share/fonts/opentype
    install -Dm644 fonts/variable/*.ttf -t $out/share/fonts/truetype
    install -Dm644 fonts/webfonts/*.woff -t $woff/share/fonts/woff

    runHook postInstall
  '';

  meta = {
    description = "Innovative superfamily of fonts for code";
    homepage = "https://monaspace.githubnext.com/";
    changelog = "https://github.com/githubnext/monaspace/releases/tag/v${finalAttrs.version}";
    license = lib.licenses.ofl;
    maintainers = with lib.maintainers; [ ];
    platforms = lib.platforms.all;
    # markbot: broken since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
    broken = true;
  };
})