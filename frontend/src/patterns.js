// Hatch patterns for fill-pattern, drawn on a canvas when the map first asks for them
// (map.setMissingStyleImageResolver), so no sprite sheet has to be served.

const PIXEL_RATIO = 2;

function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * A seamless hatch tile as {width, height, data} for map.addImage.
 * @param {{color: string, angle?: number, spacing?: number, cross?: boolean}} spec
 *   angle in degrees: 0 horizontal, 90 vertical, 45 / -45 diagonals.
 */
export function hatchImage({ color, angle = 45, spacing = 7, cross = false }) {
  const size = spacing * PIXEL_RATIO;
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  const [r, g, b] = hexToRgb(color);
  // A light tint of the same colour keeps the area readable between the lines.
  ctx.fillStyle = `rgba(${r},${g},${b},0.12)`;
  ctx.fillRect(0, 0, size, size);
  ctx.strokeStyle = `rgb(${r},${g},${b})`;
  ctx.lineWidth = 1.2 * PIXEL_RATIO;
  ctx.lineCap = 'square';
  const draw = (a) => {
    ctx.beginPath();
    if (a === 0) {
      ctx.moveTo(0, size / 2);
      ctx.lineTo(size, size / 2);
    } else if (a === 90) {
      ctx.moveTo(size / 2, 0);
      ctx.lineTo(size / 2, size);
    } else {
      // Lines x - y = k * size (45) or x + y = k * size (-45), repeated across tile edges.
      for (let k = -1; k <= 1; k++) {
        if (a > 0) {
          ctx.moveTo(k * size, size);
          ctx.lineTo(k * size + size, 0);
        } else {
          ctx.moveTo(k * size, 0);
          ctx.lineTo(k * size + size, size);
        }
      }
    }
    ctx.stroke();
  };
  draw(angle);
  if (cross) draw(angle === 45 ? -45 : angle === -45 ? 45 : angle === 0 ? 90 : 0);
  const { data } = ctx.getImageData(0, 0, size, size);
  return { image: { width: size, height: size, data: new Uint8Array(data.buffer) }, pixelRatio: PIXEL_RATIO };
}
