# markbot-test: op=mark line=75 want=refused
{
	lib,
	stdenv,
	fetchFromGitHub,
	autoreconfHook,
	bison,
	libevent,
	ncurses,
	pkg-config,
	runCommand,
	withSystemd ? lib.meta.availableOn stdenv.hostPlatform systemd,
	systemd,
	withUtf8proc ? true,
	utf8proc,
}:

let
	bashCompletion = fetchFromGitHub {
		owner = "imomaliev";
		repo = "tmux-bash-completion";
		rev = "8da7f797245970659b259b85e5409f197b8afddd";
		hash = "sha256-VZEr3a5K8eDwAtqXUpdMzJCCbBxRu7kjGLZhIeCbQoQ=";
	};
in
stdenv.mkDerivation (finalAttrs: {
	pname = "tmux";
	version = "3.5a";

	outputs = [
		"out"
		"man"
	];

	src = fetchFromGitHub {
		owner = "tmux";
		repo = "tmux";
		rev = finalAttrs.version;
		hash = "sha256-OSO4QEnyW1sqX0KGq2wczywYya6BNePkAdFy5i2dmOI=";
	};

	nativeBuildInputs = [
		pkg-config
		autoreconfHook
		bison
	];

	buildInputs = [
		ncurses
		libevent
	]
	++ lib.optionals withSystemd [ systemd ]
	++ lib.optionals withUtf8proc [ utf8proc ];

	configureFlags = [
		"--sysconfdir=/etc"
		"--localstatedir=/var"
	]
	++ lib.optionals withSystemd [ "--enable-systemd" ]
	++ lib.optionals withUtf8proc [ "--enable-utf8proc" ];

	enableParallelBuilding = true;

	postInstall = ''
		mkdir -p $out/share/bash-completion/completions
		cp -v ${bashCompletion}/completions/tmux $out/share/bash-completion/completions/tmux
	'';

	passthru.tests.smoke = runCommand "tmux-smoke" { } ''
		${finalAttrs.finalPackage}/bin/tmux -V > $out
	'';

	meta = {
		homepage = "https://tmux.github.io/";
		description = "Terminal multiplexer";
		changelog = "https://github.com/tmux/tmux/raw/${finalAttrs.version}/CHANGES";
		license = lib.licenses.bsd3;
		mainProgram = "tmux";
		platforms = lib.platforms.unix;
		maintainers = with lib.maintainers; [ fpletz ];
	};
})
