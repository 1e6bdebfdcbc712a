/* ttl_ports.c: build/continuo-ttl-ports, a build tool. It prints the LV2 plugin's control
 * input ports, as Turtle, from the engine's control table (engine/jam_controls.c), for
 * plugin/lv2.mk to put in place of @CONTROL_PORTS@ in ttl/continuo.ttl.in. Each port is
 * then written once, in C, as x42's plugins do. Each entry starts with ", [" because the
 * ports before it are written by hand in the .in (the atom ports and the latency output). */
#include <stdio.h>
#include <string.h>
#include "jam_controls.h"

/* A Turtle string literal's body. */
static void put_string(const char *s) {
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') putchar('\\');
        putchar(*s);
    }
}

/* A number: decimals for a float control (a Turtle decimal), whole numbers otherwise. */
static void put_number(const cn_jam_control *c, double v) {
    if (c->kind == CN_CT_FLOAT) {
        char buf[40];
        snprintf(buf, sizeof buf, "%.9g", v);
        printf("%s%s", buf, strpbrk(buf, ".e") ? "" : ".0");
    } else {
        printf("%.0f", v);
    }
}

static void put_port(const cn_jam_control *c) {
    printf("\t] , [\n\t\ta lv2:InputPort ,\n\t\t\tlv2:ControlPort ;\n");
    printf("\t\tlv2:index %d ;\n\t\tlv2:symbol \"%s\" ;\n\t\tlv2:name \"", c->port, c->symbol);
    put_string(c->label);
    printf("\" ;\n\t\trdfs:comment \"");
    put_string(c->comment);
    printf("\" ;\n\t\tlv2:default ");
    put_number(c, c->def);
    printf(" ;\n\t\tlv2:minimum ");
    put_number(c, c->min);
    printf(" ;\n\t\tlv2:maximum ");
    put_number(c, c->max);
    switch (c->kind) {
    case CN_CT_INT: printf(" ;\n\t\tlv2:portProperty lv2:integer"); break;
    case CN_CT_TOGGLE: printf(" ;\n\t\tlv2:portProperty lv2:toggled"); break;
    case CN_CT_TRIGGER: printf(" ;\n\t\tlv2:portProperty lv2:toggled ,\n\t\t\tpprops:trigger"); break;
    case CN_CT_ENUM:
        printf(" ;\n\t\tlv2:portProperty lv2:integer ,\n\t\t\tlv2:enumeration ;\n\t\tlv2:scalePoint");
        for (int v = (int)c->min; v <= (int)c->max; v++) {
            printf("%s [ rdfs:label \"", v > (int)c->min ? " ,\n\t\t\t" : "");
            put_string(c->labels[v - (int)c->min]);
            printf("\" ; rdf:value %d ]", v);
        }
        break;
    case CN_CT_FLOAT: break;
    }
    if (c->unit) printf(" ;\n\t\tunits:unit units:%s", c->unit);
    printf("\n");
}

int main(void) {
    for (int i = 0; i < cn_jam_n_controls; i++) put_port(&cn_jam_controls[i]);
    return ferror(stdout) || fflush(stdout) ? 1 : 0;
}
