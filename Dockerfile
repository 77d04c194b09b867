FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY contracts contracts
COPY agencies agencies
COPY hub hub
COPY projections projections
RUN pip install --no-cache-dir .
USER nobody
CMD ["hub", "serve"]
