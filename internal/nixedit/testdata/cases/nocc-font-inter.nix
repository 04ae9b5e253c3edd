# markbot-test: op=mark line=@L@ want=changed
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
    hash = "sha256-@H@";
  };

  installPhase = ''
    runHook preInstall

    mkdir -p $out/share/fonts/truetype $out/share/fonts/opentype
    cp *.ttf $out/share/fonts/truetype
    cp extras/otf/*.otf $out/share/fonts/opentype

    runHook postInstall
  '';

  meta = with lib; {
    homepage = "https://rsms.me/inter/";
    description = "Typeface specially designed for user interfaces"; #@T
    license = licenses.ofl;
    platforms = platforms.all;
    maintainers = with maintainers; [
      demize
      dtzWill
    ];
  };
})
