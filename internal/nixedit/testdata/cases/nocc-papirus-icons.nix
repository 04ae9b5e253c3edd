# markbot-test: op=mark line=60 systems=aarch64-linux want=changed
{
  lib,
  stdenvNoCC,
  fetchFromGitHub,
  gtk3,
  pantheon,
  breeze-icons,
  gnome-icon-theme,
  hicolor-icon-theme,
  papirus-folders,
  color ? null,
}:

stdenvNoCC.mkDerivation rec {
  pname = "papirus-icon-theme";
  version = "20250501";

  src = fetchFromGitHub {
    owner = "PapirusDevelopmentTeam";
    repo = "papirus-icon-theme";
    rev = version;
    hash = "sha256-E+QjIvFEpiEhvgC76XRoCw+iP225DC2RqQu3bvr4Dpo=";
  };

  nativeBuildInputs = [
    gtk3
    papirus-folders
  ];

  propagatedBuildInputs = [
    pantheon.elementary-icon-theme
    breeze-icons
    gnome-icon-theme
    hicolor-icon-theme
  ];

  dontDropIconThemeCache = true;

  dontPatchELF = true;
  dontRewriteSymlinks = true;

  installPhase = ''
    runHook preInstall

    mkdir -p $out/share/icons
    mv {,e}Papirus* $out/share/icons

    for theme in $out/share/icons/*; do
      ${lib.optionalString (
        color != null
      ) "${papirus-folders}/bin/papirus-folders -t $theme -o -C ${color}"}
      gtk-update-icon-cache --force $theme
    done

    runHook postInstall
  '';

  meta = {
    description = "Pixel perfect icon theme for Linux";
    homepage = "https://github.com/PapirusDevelopmentTeam/papirus-icon-theme";
    license = lib.licenses.gpl3Only;
    # darwin gives hash mismatch in source, probably because of file names differing only in case
    platforms = lib.platforms.linux;
    maintainers = with lib.maintainers; [
      romildo
      fortuneteller2k
    ];
  };
}
