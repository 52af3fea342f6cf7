# The job runner's Fargate image: the job-task entry bundled by esbuild at synth (index.mjs, with
# the AWS SDK inside) and jq.wasm next to it, with jq-wasm.cjs (jq's loader, run in a worker thread
# that can be ended at a step's deadline). No npm install at build time: nothing to fetch.
FROM public.ecr.aws/docker/library/node:22-slim
WORKDIR /app
COPY index.mjs jq.wasm jq-wasm.cjs ./
ENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps
USER node
ENTRYPOINT ["node", "/app/index.mjs"]
