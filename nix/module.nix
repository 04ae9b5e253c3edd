# NixOS module: services.markbot.
#
# mode = "timer": `markbot run` (one cycle) from a systemd timer, every
#   `interval` after the previous run ended.
# mode = "serve": `markbot serve`, the GitHub App's webhook server, as a
#   long-running service (it schedules its own cycles: settings.server).
#
# Secrets never enter the Nix store: privateKeyFile and webhookSecretFile are
# paths read at service start by systemd (LoadCredential) and handed to
# markbot through its credentials directory (%d).
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.services.markbot;
  settingsFormat = pkgs.formats.yaml { };
  configFile = settingsFormat.generate "markbot.yaml" cfg.settings;
  stateDirectory = "markbot";
  statePath = "/var/lib/${stateDirectory}/markbot.db";
  isAbsolute = p: builtins.substring 0 1 p == "/";
  isInStore = p: builtins.substring 0 11 p == "/nix/store/";
  secretFileOption =
    what:
    lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "/run/secrets/markbot/${what}";
      description = ''
        Absolute path of the file holding the ${what}, readable by root
        (systemd reads it through LoadCredential and passes a copy to the
        service's credentials directory). A string, not a Nix path literal,
        so that the secret is never copied into the world-readable Nix store.
      '';
    };
  secretAssertions =
    name: value:
    lib.optional (value != null) {
      assertion = isAbsolute value && !isInStore value;
      message = "services.markbot.${name} must be an absolute path outside the Nix store, got ${value}";
    };
in
{
  options.services.markbot = {
    enable = lib.mkEnableOption "markbot, which marks persistently failing nixpkgs packages broken in pull requests";

    package = lib.mkOption {
      type = lib.types.package;
      description = "The markbot package (the flake's nixosModules.default sets it to the flake's package).";
    };

    mode = lib.mkOption {
      type = lib.types.enum [
        "serve"
        "timer"
      ];
      default = "timer";
      description = ''
        "timer": run `markbot run` (one cycle) from a systemd timer every
        `interval`. "serve": run `markbot serve` (webhooks and its own
        schedule, settings.server) as a long-running service; needs a markbot
        that has the serve command and webhookSecretFile.
      '';
    };

    interval = lib.mkOption {
      type = lib.types.str;
      default = "6h";
      example = "2h";
      description = ''
        Timer mode: time between the end of one run and the start of the
        next (a systemd time span). Runs never overlap.
      '';
    };

    settings = lib.mkOption {
      type = lib.types.submodule {
        freeformType = settingsFormat.type;
        options.version = lib.mkOption {
          type = lib.types.int;
          default = 1;
          description = "The configuration format's version.";
        };
      };
      default = { };
      example = lib.literalExpression ''
        {
          hydra.contact = "admin@example.org";
          github = {
            app_id = 123456;
            installation_id = 7654321;
            repository = "NixOS/nixpkgs";
            fork = "my-markbot-fork";
            fork_installation_id = 7654322; # the App's installation on the fork's owner
            bot_login = "my-markbot[bot]";
          };
          policy.max_open_prs = 3;
        }
      '';
      description = ''
        markbot's configuration (markbot.yaml), with the shape and defaults of
        config/markbot.example.yaml. Do not put secrets here: the file is in
        the Nix store. github.private_key_file, github.webhook_secret_file and
        state.path are overridden by the service's environment.
      '';
    };

    privateKeyFile = secretFileOption "GitHub App's private key (PEM)";

    webhookSecretFile = secretFileOption "GitHub App's webhook secret";
  };

  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        assertions = [
          {
            assertion = cfg.privateKeyFile != null;
            message = "services.markbot.privateKeyFile must be set to the path of the GitHub App's private key.";
          }
          {
            assertion = cfg.mode != "serve" || cfg.webhookSecretFile != null;
            message = "services.markbot.webhookSecretFile must be set when services.markbot.mode is \"serve\".";
          }
        ]
        ++ secretAssertions "privateKeyFile" cfg.privateKeyFile
        ++ secretAssertions "webhookSecretFile" cfg.webhookSecretFile;

        systemd.services.markbot = {
          description = "markbot: marks persistently failing nixpkgs packages broken";
          documentation = [ "https://github.com/nixpkgs-markbot/markbot" ];
          wants = [ "network-online.target" ];
          after = [ "network-online.target" ];

          # Environment > file: these override the keys of the generated
          # markbot.yaml (see MARKBOT_* in the README).
          environment = {
            MARKBOT_STATE_PATH = statePath;
          }
          // lib.optionalAttrs (cfg.privateKeyFile != null) {
            MARKBOT_GITHUB_PRIVATE_KEY_FILE = "%d/private-key";
          }
          // lib.optionalAttrs (cfg.webhookSecretFile != null) {
            MARKBOT_GITHUB_WEBHOOK_SECRET_FILE = "%d/webhook-secret";
          };

          serviceConfig = {
            ExecStart = "${lib.getExe cfg.package} ${
              if cfg.mode == "serve" then "serve" else "run"
            } --config ${configFile}";

            DynamicUser = true;
            # The SQLite database and the Hydra evaluation cache beside it.
            StateDirectory = stateDirectory;
            StateDirectoryMode = "0700";
            LoadCredential =
              lib.optional (cfg.privateKeyFile != null) "private-key:${cfg.privateKeyFile}"
              ++ lib.optional (cfg.webhookSecretFile != null) "webhook-secret:${cfg.webhookSecretFile}";

            # Hardening: markbot only needs the network (Hydra, GitHub, the
            # channel's packages index) and its state directory.
            AmbientCapabilities = "";
            CapabilityBoundingSet = "";
            DevicePolicy = "closed";
            LockPersonality = true;
            MemoryDenyWriteExecute = true;
            NoNewPrivileges = true;
            PrivateDevices = true;
            PrivateTmp = true;
            PrivateUsers = true;
            ProcSubset = "pid";
            ProtectClock = true;
            ProtectControlGroups = true;
            ProtectHome = true;
            ProtectHostname = true;
            ProtectKernelLogs = true;
            ProtectKernelModules = true;
            ProtectKernelTunables = true;
            ProtectProc = "invisible";
            ProtectSystem = "strict";
            RemoveIPC = true;
            RestrictAddressFamilies = [
              "AF_INET"
              "AF_INET6"
              "AF_UNIX"
            ];
            RestrictNamespaces = true;
            RestrictRealtime = true;
            RestrictSUIDSGID = true;
            SystemCallArchitectures = "native";
            SystemCallFilter = [
              "@system-service"
              "~@privileged"
            ];
            # A filtered system call fails with EPERM instead of killing
            # the process (Go's runtime probes some and copes with EPERM).
            SystemCallErrorNumber = "EPERM";
            UMask = "0077";
          };
        };
      }

      (lib.mkIf (cfg.mode == "serve") {
        systemd.services.markbot = {
          wantedBy = [ "multi-user.target" ];
          serviceConfig = {
            Type = "simple";
            Restart = "on-failure";
            RestartSec = "30s";
          };
        };
      })

      (lib.mkIf (cfg.mode == "timer") {
        systemd.services.markbot.serviceConfig.Type = "oneshot";
        systemd.timers.markbot = {
          description = "Run markbot every ${cfg.interval}";
          wantedBy = [ "timers.target" ];
          timerConfig = {
            OnBootSec = "5min";
            OnUnitInactiveSec = cfg.interval;
            RandomizedDelaySec = "5min";
          };
        };
      })
    ]
  );
}
