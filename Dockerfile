# syntax=docker/dockerfile:1

# Build a static binary: the pure-Go SQLite driver needs no cgo. nomsgpack
# leaves out gin's MessagePack binding, which Archipel never uses (a smaller
# binary, less memory: README, Performance and footprint).
FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
# Dependencies first, so editing the code does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -tags nomsgpack -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/archipel . \
 && mkdir -p /out/data

# distroless: no shell, no package manager, CA certificates and tzdata included.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/archipel /archipel
# A volume mounted on /data starts from the image's directory, so it must
# already belong to the non-root user or the service cannot write there.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV ARCHIPEL_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/archipel"]
CMD ["serve"]
