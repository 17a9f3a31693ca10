// Tensor file I/O for ort-run.mjs: NumPy .npy (read and write) and ONNX TensorProto .pb (read).
import fs from 'node:fs';

// .npy descr <-> onnxruntime tensor type and the typed array that holds the data.
const DTYPES = [
  { descr: '<f4', ort: 'float32', array: Float32Array },
  { descr: '<f8', ort: 'float64', array: Float64Array },
  { descr: '<f2', ort: 'float16', array: Uint16Array },  // raw IEEE half bits
  { descr: '<i8', ort: 'int64', array: BigInt64Array },
  { descr: '<i4', ort: 'int32', array: Int32Array },
  { descr: '<i2', ort: 'int16', array: Int16Array },
  { descr: '|i1', ort: 'int8', array: Int8Array },
  { descr: '<u8', ort: 'uint64', array: BigUint64Array },
  { descr: '<u4', ort: 'uint32', array: Uint32Array },
  { descr: '<u2', ort: 'uint16', array: Uint16Array },
  { descr: '|u1', ort: 'uint8', array: Uint8Array },
  { descr: '|b1', ort: 'bool', array: Uint8Array },
];

// NumPy writes one-byte types as '|i1' but accepts '<i1'/'>u1' etc.; normalise before lookup.
function normaliseDescr(descr) {
  if (/^[<>=|][iub]1$/.test(descr)) return '|' + descr.slice(1);
  if (descr.startsWith('=')) return '<' + descr.slice(1);
  return descr;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);  // "\x93NUMPY"

/// Parses a .npy file; returns { type (onnxruntime type name), dims (numbers), data (typed array) }.
export function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) {
    throw new Error(`${path}: not a .npy file (bad magic)`);
  }
  const major = buf[6];
  let headerLen, headerStart;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    headerLen = buf.readUInt32LE(8);
    headerStart = 12;
  } else {
    throw new Error(`${path}: unsupported .npy format version ${major}`);
  }
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', headerStart, headerStart + headerLen);
  const descrM = header.match(/'descr'\s*:\s*'([^']*)'/);
  const fortranM = header.match(/'fortran_order'\s*:\s*(True|False)/);
  const shapeM = header.match(/'shape'\s*:\s*\(([^)]*)\)/);
  if (!descrM || !fortranM || !shapeM) throw new Error(`${path}: malformed .npy header`);
  if (fortranM[1] === 'True') throw new Error(`${path}: Fortran-ordered arrays are not supported`);
  const descr = normaliseDescr(descrM[1]);
  const dt = DTYPES.find((d) => d.descr === descr);
  if (!dt) throw new Error(`${path}: unsupported .npy dtype '${descrM[1]}'`);
  const dims = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const offset = headerStart + headerLen;
  const nbytes = count * dt.array.BYTES_PER_ELEMENT;
  if (buf.length - offset < nbytes) {
    throw new Error(`${path}: truncated .npy data (${buf.length - offset} bytes, expected ${nbytes})`);
  }
  // Copy into a fresh, aligned buffer: typed arrays need element-aligned offsets.
  const bytes = new Uint8Array(nbytes);
  bytes.set(buf.subarray(offset, offset + nbytes));
  const data = new dt.array(bytes.buffer, 0, count);
  return { type: dt.ort, dims, data };
}

/// Writes a .npy (format 1.0) file from an onnxruntime tensor type name, dims and typed array.
export function writeNpy(path, type, dims, data) {
  const dt = DTYPES.find((d) => d.ort === type);
  if (!dt) throw new Error(`cannot write tensor of type '${type}' to .npy`);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${dt.descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad with spaces so that magic + version + length + header + '\n' is a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const pre = Buffer.alloc(10);
  MAGIC.copy(pre, 0);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  let body;
  if (type === 'bool' && !(data instanceof Uint8Array)) {
    body = Buffer.from(Uint8Array.from(data, (v) => (v ? 1 : 0)));
  } else if (ArrayBuffer.isView(data) && data.BYTES_PER_ELEMENT === dt.array.BYTES_PER_ELEMENT) {
    // Same element width (also a Float16Array for float16): the bytes are already right.
    body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  } else {
    const typed = dt.array.from(data);
    body = Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
  }
  fs.writeFileSync(path, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

// ---- ONNX TensorProto (.pb) ---------------------------------------------------------------

// TensorProto.DataType -> onnxruntime type name.
const ONNX_TYPES = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64',
};

// Reads a protobuf varint at pos; returns [value as BigInt, next pos].
function readVarint(buf, pos) {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
    if (shift > 70n) throw new Error('varint too long');
  }
}

/// Parses a serialized ONNX TensorProto; returns { name, type, dims, data } like readNpy.
export function readTensorProto(path) {
  const buf = fs.readFileSync(path);
  let pos = 0;
  let name = '';
  let dataType = 0;
  const dims = [];
  let raw = null;
  const floats = [], doubles = [], int32s = [], int64s = [], uint64s = [];
  // Repeated numeric fields may be packed (wire type 2) or not (wire type 0/1/5).
  const readRepeated = (wire, out, readOne, width) => {
    if (wire !== 2) {
      out.push(readOne());
      return;
    }
    const [len, p] = readVarint(buf, pos);
    pos = p;
    const end = pos + Number(len);
    while (pos < end) out.push(readOne(width));
  };
  const varintOne = () => {
    const [v, p] = readVarint(buf, pos);
    pos = p;
    return v;
  };
  const fixedOne = (width) => () => {
    const v = width === 4 ? buf.readFloatLE(pos) : buf.readDoubleLE(pos);
    pos += width;
    return v;
  };
  try {
    while (pos < buf.length) {
      const [key, p] = readVarint(buf, pos);
      pos = p;
      const field = Number(key >> 3n);
      const wire = Number(key & 7n);
      if (field === 1) readRepeated(wire, dims, varintOne);
      else if (field === 2) dataType = Number(varintOne());
      else if (field === 4) readRepeated(wire, floats, fixedOne(4));
      else if (field === 5) readRepeated(wire, int32s, varintOne);
      else if (field === 7) readRepeated(wire, int64s, varintOne);
      else if (field === 10) readRepeated(wire, doubles, fixedOne(8));
      else if (field === 11) readRepeated(wire, uint64s, varintOne);
      else if (field === 8 || field === 9) {
        const [len, q] = readVarint(buf, pos);
        const bytes = buf.subarray(q, q + Number(len));
        if (bytes.length !== Number(len)) throw new Error('truncated field');
        pos = q + Number(len);
        if (field === 8) name = bytes.toString('utf8');
        else raw = bytes;
      } else if (wire === 0) varintOne();
      else if (wire === 1) pos += 8;
      else if (wire === 5) pos += 4;
      else if (wire === 2) {
        const [len, q] = readVarint(buf, pos);
        pos = q + Number(len);
      } else throw new Error(`unexpected wire type ${wire}`);
    }
  } catch (e) {
    throw new Error(`${path}: malformed TensorProto (${e.message})`);
  }
  const type = ONNX_TYPES[dataType];
  if (!type) throw new Error(`${path}: unsupported TensorProto data type ${dataType}`);
  const dt = DTYPES.find((d) => d.ort === type);
  const shape = dims.map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  let data;
  if (raw) {
    const bytes = new Uint8Array(raw.length);
    bytes.set(raw);
    if (bytes.length !== count * dt.array.BYTES_PER_ELEMENT) {
      throw new Error(`${path}: raw_data holds ${bytes.length} bytes, expected ${count * dt.array.BYTES_PER_ELEMENT}`);
    }
    data = new dt.array(bytes.buffer, 0, count);
  } else if (type === 'float32') data = Float32Array.from(floats);
  else if (type === 'float64') data = Float64Array.from(doubles);
  else if (type === 'int64') data = BigInt64Array.from(int64s, (v) => BigInt.asIntN(64, v));
  else if (type === 'uint64') data = BigUint64Array.from(uint64s);
  else if (type === 'uint32') data = Uint32Array.from(uint64s, (v) => Number(v));
  // int32_data holds int32, int16, int8, uint16, uint8, bool and float16 bits.
  else data = dt.array.from(int32s, (v) => Number(BigInt.asIntN(32, v)));
  if (data.length !== count) {
    throw new Error(`${path}: holds ${data.length} elements, shape [${shape}] needs ${count}`);
  }
  return { name, type, dims: shape, data };
}

/// Reads a tensor from .npy or TensorProto .pb, chosen by the file extension.
export function readTensor(path) {
  if (path.endsWith('.pb')) return readTensorProto(path);
  return readNpy(path);
}
