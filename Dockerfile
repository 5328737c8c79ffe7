# The conveyor command in a container: `conveyor server`, `conveyor worker`, `conveyor up`, ...
# (docker-compose.yml runs Redis, a broker and workers from this one image).
#
#   docker build -t conveyor .
#   docker run --rm -p 127.0.0.1:5000:5000 -e API_SECRET_TOKEN=change-me conveyor
#
# The base images are build arguments so that another registry, a mirror or a locally made image
# can stand in for Microsoft's (the container tests build this same file from Debian-made bases:
# tests/Conveyor.Containers.Tests). It uses nothing BuildKit-only, so docker-compose 1.29's
# builder and `docker build` on any engine read it alike.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
WORKDIR /src
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Restore first, from the project files alone, so a source change reuses the restored layer.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Conveyor.Core/Conveyor.Core.csproj src/Conveyor.Core/
COPY src/Conveyor.Sqlite/Conveyor.Sqlite.csproj src/Conveyor.Sqlite/
COPY src/Conveyor.Redis/Conveyor.Redis.csproj src/Conveyor.Redis/
COPY src/Conveyor.RabbitMq/Conveyor.RabbitMq.csproj src/Conveyor.RabbitMq/
COPY src/Conveyor.Worker/Conveyor.Worker.csproj src/Conveyor.Worker/
COPY src/Conveyor.Client/Conveyor.Client.csproj src/Conveyor.Client/
COPY src/Conveyor.Server/Conveyor.Server.csproj src/Conveyor.Server/
COPY src/Conveyor.Cli/Conveyor.Cli.csproj src/Conveyor.Cli/
RUN dotnet restore src/Conveyor.Cli/Conveyor.Cli.csproj
COPY src/ src/
RUN dotnet publish src/Conveyor.Cli/Conveyor.Cli.csproj -c Release --no-restore -o /app -p:UseAppHost=true

FROM ${RUNTIME_IMAGE} AS runtime
# A non-root user with a fixed uid (the official images' `app`, 1654; made here when the base has none).
ARG APP_UID=1654
RUN if ! getent passwd "${APP_UID}" >/dev/null; then \
      groupadd --system --gid "${APP_UID}" app && \
      useradd --system --uid "${APP_UID}" --gid "${APP_UID}" --home-dir /data --shell /usr/sbin/nologin app; \
    fi && \
    mkdir -p /data && chown "${APP_UID}:${APP_UID}" /data
COPY --from=build /app /app
RUN ln -s /app/conveyor /usr/local/bin/conveyor
# The SQLite file of `conveyor up` / `conveyor server` (the default store) lives here; with Redis
# as the store the volume stays empty.
VOLUME /data
WORKDIR /data
# Conveyor binds what --host/--port say (default 127.0.0.1:5000): the aspnet image's 8080 does not apply.
ENV ASPNETCORE_HTTP_PORTS= \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
USER ${APP_UID}
EXPOSE 5000
# `conveyor health` GETs /healthz (no curl in the runtime image). A worker serves no HTTP: compose
# turns the check off for it. CONVEYOR_HEALTH_URL points the probe elsewhere (another port).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["conveyor", "health"]
ENTRYPOINT ["conveyor"]
# One container, everything in it: broker + built-in workers + the SQLite file in /data. Binding
# beyond loopback needs a token (API_SECRET_TOKEN, CONVEYOR_TOKENS or --tokens-file).
CMD ["up", "--host", "0.0.0.0", "--store", "/data/conveyor.db"]
