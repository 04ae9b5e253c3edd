{
  lib,
  stdenvNoCC,
  fetchzip,
}:

stdenvNoCC.mkDerivation (finalAttrs: {
  pname = "inter";
  version = "4.1";

  src = fetchzip {
    url = "https://github.com/rsms/inter/releases/download/v${finalAttrs.version}/Inter-${finalAttrs.version}.zip";
    stripRoot = false;
    hash = "sha256-Ws2hYquYw/Xs1i8fH6DRsY1cFCsu1BISnSeg9rNwgRc=";
  };

  installPhase = ''
    runHook preInstall

    mkdir -p $out/share/fonts/truetype $out/share/fonts/opentype
    cp *.ttf $out/share/fonts/truetype
    cp extras/otf/*.otf $out/share/fonts/opentype

    runHook postInstall
  '';

  meta = {
    homepage = "https://rsms.me/inter/";
    description = "Typeface specially designed for user interfaces";
    license = lib.licenses.ofl;
    platforms = lib.platforms.all;
    maintainers = with lib.maintainers; [ heidi-fonts ];
  };
})
