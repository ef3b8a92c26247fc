;; Dot products of consecutive rows with one query, four f32 lanes at a time (WebAssembly SIMD).
;; Regenerate src/simd/dot-wasm.ts with `npm run build:wasm` after editing.
;;
;; Export "s" (scores): s(q, row, rows, dim, out), all offsets in bytes into the imported memory:
;;   q    the query, dim f32
;;   row  the first of `rows` rows, each dim f32, stored one after another
;;   out  where the `rows` f32 scores go
;; dim must be a multiple of 4 (and > 0); rows need no alignment. Rows go four at a time, so `rows` is
;; rounded up to a multiple of 4: the caller leaves room for up to 3 rows more to be read (their
;; contents do not matter) and 3 scores more to be written.
(module
  (import "e" "m" (memory 0))

  (func $sum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  (func (export "s") (param $q i32) (param $row i32) (param $rows i32) (param $dim i32) (param $out i32)
    (local $stride i32) (local $end i32) (local $j i32) (local $p i32) (local $x v128)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local $zero v128) ;; never set: locals start at zero
    (local.set $stride (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $rows) (i32.const 2))))

    ;; Four rows per sweep of the query: each query load serves four rows and the four sums run side by side.
    (block $four_done
      (loop $four
        (br_if $four_done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $a (local.get $zero))
        (local.set $b (local.get $zero))
        (local.set $c (local.get $zero))
        (local.set $d (local.get $zero))
        (local.set $j (i32.const 0))
        (loop $cols
          (local.set $x (v128.load (i32.add (local.get $q) (local.get $j))))
          (local.set $p (i32.add (local.get $row) (local.get $j)))
          (local.set $a (f32x4.add (local.get $a) (f32x4.mul (local.get $x) (v128.load (local.get $p)))))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (local.set $b (f32x4.add (local.get $b) (f32x4.mul (local.get $x) (v128.load (local.get $p)))))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (local.set $c (f32x4.add (local.get $c) (f32x4.mul (local.get $x) (v128.load (local.get $p)))))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (local.set $d (f32x4.add (local.get $d) (f32x4.mul (local.get $x) (v128.load (local.get $p)))))
          (br_if $cols (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 16))) (local.get $stride))))
        (f32.store offset=0 (local.get $out) (call $sum (local.get $a)))
        (f32.store offset=4 (local.get $out) (call $sum (local.get $b)))
        (f32.store offset=8 (local.get $out) (call $sum (local.get $c)))
        (f32.store offset=12 (local.get $out) (call $sum (local.get $d)))
        (local.set $row (i32.add (local.get $row) (i32.shl (local.get $stride) (i32.const 2))))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $four))))
)
