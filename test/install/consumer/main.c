/*===- main.c - Runs a Cleave artifact through the installed C API --------===*
 *
 * usage: consumer_c MODEL.cleave OUT_DIR INPUT.bin...
 * As consumer_cpp: raw input bytes in the model's input order, each output
 *written raw to OUT_DIR/<name>.bin (characters outside [A-Za-z0-9_.-] replaced
 *by '_'). Errors: one line on stderr, exit 1.
 *
 *===----------------------------------------------------------------------===*/

#include <cleave/cleave.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints `status` (if any) and frees it; returns 1 on failure. */
static int failed(cleave_status *status) {
  if (!status)
    return 0;
  fprintf(stderr, "consumer_c: error: %s: %s\n",
          cleave_status_code_name(cleave_status_get_code(status)),
          cleave_status_get_message(status));
  cleave_status_release(status);
  return 1;
}

/* Reads exactly `bytes` bytes of `path` into `data`; returns 1 on failure. */
static int read_file(const char *path, void *data, size_t bytes) {
  FILE *file = fopen(path, "rb");
  int extra;
  size_t got;
  if (!file) {
    fprintf(stderr, "consumer_c: error: cannot open '%s'\n", path);
    return 1;
  }
  got = fread(data, 1, bytes, file);
  extra = fgetc(file);
  fclose(file);
  if (got != bytes || extra != EOF) {
    fprintf(stderr, "consumer_c: error: '%s' does not hold %lu bytes\n", path,
            (unsigned long)bytes);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  cleave_session *session = NULL;
  cleave_session_options *options = NULL;
  cleave_tensor_view *inputs;
  cleave_mutable_tensor_view *outputs;
  size_t n_in, n_out, i;
  int status = 1;
  char path[4096];

  if (argc < 3) {
    fprintf(stderr, "usage: consumer_c MODEL.cleave OUT_DIR INPUT.bin...\n");
    return 1;
  }
  if (failed(cleave_session_options_create(&options)) ||
      failed(cleave_session_options_set_threads(options, 1)) ||
      failed(cleave_session_create(argv[1], options, &session))) {
    cleave_session_options_release(options);
    return 1;
  }
  cleave_session_options_release(options);
  n_in = cleave_session_input_count(session);
  n_out = cleave_session_output_count(session);
  if ((size_t)(argc - 3) != n_in) {
    fprintf(stderr, "consumer_c: error: the model has %lu inputs\n",
            (unsigned long)n_in);
    cleave_session_release(session);
    return 1;
  }
  inputs = (cleave_tensor_view *)calloc(n_in + 1, sizeof(*inputs));
  outputs = (cleave_mutable_tensor_view *)calloc(n_out + 1, sizeof(*outputs));
  if (!inputs || !outputs)
    goto done;
  for (i = 0; i < n_in; ++i) {
    cleave_tensor_info info;
    void *data;
    if (failed(cleave_session_input_info(session, i, &info)))
      goto done;
    data = malloc(info.byte_size + 1);
    inputs[i].dtype = info.dtype;
    inputs[i].rank = info.rank;
    inputs[i].dims = info.dims;
    inputs[i].data = data;
    inputs[i].byte_size = info.byte_size;
    if (!data || read_file(argv[3 + i], data, info.byte_size))
      goto done;
  }
  for (i = 0; i < n_out; ++i) {
    cleave_tensor_info info;
    if (failed(cleave_session_output_info(session, i, &info)))
      goto done;
    outputs[i].dtype = info.dtype;
    outputs[i].rank = info.rank;
    outputs[i].dims = info.dims;
    outputs[i].data = malloc(info.byte_size + 1);
    outputs[i].byte_size = info.byte_size;
    if (!outputs[i].data)
      goto done;
  }
  if (failed(cleave_session_run(session, inputs, n_in, outputs, n_out)))
    goto done;
  for (i = 0; i < n_out; ++i) {
    FILE *file;
    cleave_tensor_info info;
    char name[2001];
    size_t c;
    if (failed(cleave_session_output_info(session, i, &info)))
      goto done;
    for (c = 0; info.name[c] && c + 1 < sizeof(name); ++c) {
      char ch = info.name[c];
      name[c] =
          isalnum((unsigned char)ch) || ch == '_' || ch == '.' || ch == '-'
              ? ch
              : '_';
    }
    name[c] = '\0';
    sprintf(path, "%.2000s/%s.bin", argv[2], name);
    file = fopen(path, "wb");
    if (!file || fwrite(outputs[i].data, 1, outputs[i].byte_size, file) !=
                     outputs[i].byte_size) {
      fprintf(stderr, "consumer_c: error: cannot write '%s'\n", path);
      if (file)
        fclose(file);
      goto done;
    }
    if (fclose(file) != 0)
      goto done;
  }
  status = 0;
done:
  if (inputs)
    for (i = 0; i < n_in; ++i)
      free((void *)inputs[i].data);
  if (outputs)
    for (i = 0; i < n_out; ++i)
      free(outputs[i].data);
  free(inputs);
  free(outputs);
  cleave_session_release(session);
  return status;
}
