// Command tlogcheck verifies a CivicID transparency log served in the C2SP formats
// (tlog-checkpoint, tlog-tiles, signed-note) with Go's own golang.org/x/mod/sumdb/note and
// golang.org/x/mod/sumdb/tlog: code CivicID did not write.
//
// It opens the latest checkpoint and an older one with the given verifier key, reads the tiles
// through tlog.TileHashReader (which authenticates every tile against the checkpoint's root),
// checks every entry bundle against the level-0 hashes, proves and checks the inclusion of every
// entry and the consistency of the older checkpoint, and, given -proofs, checks CivicID's own
// RFC 9162 JSON proofs against roots computed from the tiles.
//
// Run it in GOPATH mode, with Debian's golang-golang-x-mod-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run main.go -prefix DIR_OR_URL -vkey VKEY -old OLD_CHECKPOINT
package main

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8

type source struct{ prefix string }

// get reads a resource relative to the log's prefix, over HTTP or from a directory.
func (s source) get(rel string) ([]byte, error) {
	if strings.HasPrefix(s.prefix, "http://") || strings.HasPrefix(s.prefix, "https://") {
		resp, err := http.Get(strings.TrimSuffix(s.prefix, "/") + "/" + rel)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", rel, resp.Status)
		}
		return io.ReadAll(resp.Body)
	}
	return os.ReadFile(filepath.Join(s.prefix, filepath.FromSlash(rel)))
}

// c2spPath is the tlog-tiles path of a tile: Go's sumdb path without the height element, and
// "entries" for the data tiles.
func c2spPath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", height))
	if strings.HasPrefix(p, "data/") {
		p = "entries/" + strings.TrimPrefix(p, "data/")
	}
	return "tile/" + p
}

type tileReader struct{ src source }

func (r tileReader) Height() int { return height }

func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := r.src.get(c2spPath(t))
		if err != nil {
			return nil, err
		}
		if len(data) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("%s: %d bytes, want %d", c2spPath(t), len(data), t.W*tlog.HashSize)
		}
		out[i] = data
	}
	return out, nil
}

func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

// openCheckpoint verifies a signed checkpoint and returns its tree.
func openCheckpoint(msg []byte, v note.Verifier, origin string) (tlog.Tree, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return tlog.Tree{}, err
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != origin {
		return tlog.Tree{}, fmt.Errorf("checkpoint origin %q, want %q", lines[0], origin)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return tlog.Tree{}, fmt.Errorf("bad tree size %q", lines[1])
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		return tlog.Tree{}, fmt.Errorf("bad root hash %q", lines[2])
	}
	var h tlog.Hash
	copy(h[:], raw)
	return tlog.Tree{N: size, Hash: h}, nil
}

func splitBundle(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, fmt.Errorf("truncated length")
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return nil, fmt.Errorf("truncated entry")
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out, nil
}

func decodeHashes(list []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(raw) != tlog.HashSize {
			return nil, fmt.Errorf("bad hash %q", s)
		}
		copy(out[i][:], raw)
	}
	return out, nil
}

// civicidProofs holds proofs from CivicID's RFC 9162 JSON endpoints.
type civicidProofs struct {
	Inclusion []struct {
		Leaf          string   `json:"leaf"`
		LeafIndex     int64    `json:"leaf_index"`
		TreeSize      int64    `json:"tree_size"`
		InclusionPath []string `json:"inclusion_path"`
	} `json:"inclusion"`
	Consistency []struct {
		First           int64    `json:"tree_size_1"`
		Second          int64    `json:"tree_size_2"`
		ConsistencyPath []string `json:"consistency_path"`
	} `json:"consistency"`
}

func run() error {
	prefix := flag.String("prefix", "", "the log's URL prefix, or a directory mirroring it")
	vkey := flag.String("vkey", "", "the checkpoints' signed-note verifier key")
	oldPath := flag.String("old", "", "an older checkpoint of the same log (file)")
	proofsPath := flag.String("proofs", "", "optional JSON of CivicID's RFC 9162 proofs to check")
	flag.Parse()

	v, err := note.NewVerifier(*vkey)
	if err != nil {
		return fmt.Errorf("verifier key: %v", err)
	}
	origin := v.Name()
	src := source{*prefix}
	msg, err := src.get("checkpoint")
	if err != nil {
		return err
	}
	tree, err := openCheckpoint(msg, v, origin)
	if err != nil {
		return fmt.Errorf("checkpoint: %v", err)
	}
	oldMsg, err := os.ReadFile(*oldPath)
	if err != nil {
		return err
	}
	old, err := openCheckpoint(oldMsg, v, origin)
	if err != nil {
		return fmt.Errorf("old checkpoint: %v", err)
	}

	hr := tlog.TileHashReader(tree, tileReader{src})
	root, err := tlog.TreeHash(tree.N, hr)
	if err != nil || root != tree.Hash {
		return fmt.Errorf("root from tiles: %v %v, checkpoint says %v", root, err, tree.Hash)
	}

	// Every entry: its bundle's bytes hash to the level-0 tile hash, and its inclusion proof checks.
	for start := int64(0); start < tree.N; start += 1 << height {
		w := tree.N - start
		if w > 1<<height {
			w = 1 << height
		}
		t := tlog.Tile{H: height, L: -1, N: start >> height, W: int(w)}
		data, err := src.get(c2spPath(t))
		if err != nil {
			return err
		}
		leaves, err := splitBundle(data)
		if err != nil || int64(len(leaves)) != w {
			return fmt.Errorf("%s: %d entries (%v), want %d", c2spPath(t), len(leaves), err, w)
		}
		for i, leaf := range leaves {
			index := start + int64(i)
			hashes, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
			if err != nil {
				return err
			}
			if tlog.RecordHash(leaf) != hashes[0] {
				return fmt.Errorf("entry %d does not hash to its tile hash", index)
			}
			p, err := tlog.ProveRecord(tree.N, index, hr)
			if err != nil {
				return err
			}
			if err := tlog.CheckRecord(p, tree.N, tree.Hash, index, hashes[0]); err != nil {
				return fmt.Errorf("inclusion of %d: %v", index, err)
			}
		}
	}

	p, err := tlog.ProveTree(tree.N, old.N, hr)
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(p, tree.N, tree.Hash, old.N, old.Hash); err != nil {
		return fmt.Errorf("consistency %d -> %d: %v", old.N, tree.N, err)
	}

	checked := 0
	if *proofsPath != "" {
		raw, err := os.ReadFile(*proofsPath)
		if err != nil {
			return err
		}
		var proofs civicidProofs
		if err := json.Unmarshal(raw, &proofs); err != nil {
			return err
		}
		for _, inc := range proofs.Inclusion {
			leaf, err := base64.StdEncoding.DecodeString(inc.Leaf)
			if err != nil {
				return err
			}
			path, err := decodeHashes(inc.InclusionPath)
			if err != nil {
				return err
			}
			th, err := tlog.TreeHash(inc.TreeSize, hr)
			if err != nil {
				return err
			}
			if err := tlog.CheckRecord(path, inc.TreeSize, th, inc.LeafIndex, tlog.RecordHash(leaf)); err != nil {
				return fmt.Errorf("CivicID inclusion proof %d in %d: %v", inc.LeafIndex, inc.TreeSize, err)
			}
			checked++
		}
		for _, c := range proofs.Consistency {
			path, err := decodeHashes(c.ConsistencyPath)
			if err != nil {
				return err
			}
			h1, err1 := tlog.TreeHash(c.First, hr)
			h2, err2 := tlog.TreeHash(c.Second, hr)
			if err1 != nil || err2 != nil {
				return fmt.Errorf("tree hashes: %v %v", err1, err2)
			}
			if err := tlog.CheckTree(path, c.Second, h2, c.First, h1); err != nil {
				return fmt.Errorf("CivicID consistency proof %d -> %d: %v", c.First, c.Second, err)
			}
			checked++
		}
	}
	fmt.Printf("OK origin=%s size=%d root=%s entries=%d consistency=%d->%d civicid_proofs=%d\n",
		origin, tree.N, tree.Hash, tree.N, old.N, tree.N, checked)
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
}
