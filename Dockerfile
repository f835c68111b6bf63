# The operator image: `reconcile operator` as a non-root user on a read-only root filesystem.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY reconciler ./reconciler
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --uid 10001 --create-home --shell /usr/sbin/nologin reconciler
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 10001:10001
# glibc makes a malloc arena per thread; two keep the worker threads from inflating memory
ENV RECONCILER_HOME=/var/lib/reconciler PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MALLOC_ARENA_MAX=2
EXPOSE 8080 9090 9443
ENTRYPOINT ["reconcile"]
CMD ["operator"]
